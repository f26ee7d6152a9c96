import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';

/** An HTTP answer as it came over the wire (the body not decoded). */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The raw body (gzipped when content-encoding says so). */
  raw: Buffer;
  /** The body, gunzipped if need be, as text. */
  text: string;
  json<T = unknown>(): T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Local source address (e.g. 127.1.3.1): what nginx sees as the client. */
  from?: string;
}

/**
 * One request on its own connection, from `from` when given (every 127.x.y.z is loopback on
 * Linux, so tests can be many clients). HTTPS with the tests' self-signed certificate accepted.
 */
export function request(url: string, opts: RequestOptions = {}): Promise<Answer> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...opts.headers };
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const target = new URL(url);
  const send = target.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: opts.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        localAddress: opts.from,
        agent: false,
        rejectUnauthorized: false,
        timeout: 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const text = (
            res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw
          ).toString();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            raw,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 20 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** `127.1.n.1`: a client address of its own (and a /24 network of its own) for test `n`. */
export function address(n: number): string {
  return `127.1.${n}.1`;
}

/** `/trpc/<path>` with tRPC's GET input, plus `extra` query parameters (e.g. to pick a cache key). */
export function trpcPath(
  path: string,
  input?: unknown,
  extra: Record<string, string> = {},
): string {
  const q = new URLSearchParams(extra);
  if (input !== undefined) q.set('input', JSON.stringify(input));
  const qs = q.toString();
  return `/trpc/${path}${qs ? `?${qs}` : ''}`;
}

/** A visitor at one address with a cookie jar, talking to one base URL (nginx or an api). */
export class Visitor {
  cookie = '';

  constructor(
    readonly base: string,
    readonly from?: string,
  ) {}

  async send(path: string, opts: Omit<RequestOptions, 'from'> = {}): Promise<Answer> {
    const headers = { ...opts.headers };
    if (this.cookie) headers.cookie = this.cookie;
    const res = await request(`${this.base}${path}`, { ...opts, headers, from: this.from });
    const setCookie = res.headers['set-cookie'] ?? [];
    const vid = setCookie.find((c) => c.startsWith('vid='));
    if (vid) this.cookie = vid.split(';')[0]!;
    return res;
  }

  /** A tRPC query's data; throws unless it answered 200. */
  async query<T>(path: string, input?: unknown): Promise<T> {
    const res = await this.send(trpcPath(path, input));
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${res.text}`);
    return res.json<{ result: { data: T } }>().result.data;
  }

  /** POST /trpc/vote.cast. */
  vote(llmId: string, value: 1 | -1 | 0): Promise<Answer> {
    return this.send('/trpc/vote.cast', { body: { llmId, value } });
  }
}

/** The tRPC error body. */
export interface TrpcError {
  error: {
    message: string;
    code: number;
    data: {
      code: string;
      httpStatus: number;
      appCode: string | null;
      retryAfterSec: number | null;
      path: string | null;
    };
  };
}

/** The value of a Prometheus series (the first line of `name`, optionally with a label). */
export async function metric(url: string, name: string, label = ''): Promise<number> {
  const text = await request(url).then((r) => r.text);
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith(name) &&
        (l[name.length] === ' ' || l[name.length] === '{') &&
        l.includes(label),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}
