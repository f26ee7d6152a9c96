import { createAdmin } from '@llmpt/db';
import { ADMIN_CSRF_HEADER, type AdminMe } from '@llmpt/shared';
import WebSocket from 'ws';

import { hashPassword } from '../src/admin/password.ts';
import { ADMIN_COOKIE } from '../src/admin/session.ts';
import { type TestApi, Visitor } from './helpers.ts';

export const PASSWORD = 'correct horse battery staple';

/** A real account in the test api's database (argon2id, as the CLI makes it). */
export async function makeAdmin(api: TestApi, username: string, password = PASSWORD) {
  return createAdmin(api.deps.db, username, await hashPassword(password));
}

export interface Answer {
  status: number;
  body: {
    result?: { data: unknown };
    error?: { data: { code: string; retryAfterSec?: number | null } };
  };
  headers: Headers;
}

/**
 * A browser on the admin page: keeps its cookies, sends the site's Origin (unless told not
 * to) and, once signed in, the session's CSRF token; `forwardedFor` sets its address
 * through X-Forwarded-For (the test api trusts loopback as its proxy).
 */
export class AdminBrowser extends Visitor {
  csrf = '';
  origin: string | null;

  constructor(
    baseUrl: string,
    readonly forwardedFor = '198.51.100.7',
  ) {
    super(baseUrl);
    this.origin = baseUrl;
  }

  get token(): string {
    return this.cookies.get(ADMIN_COOKIE) ?? '';
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'x-forwarded-for': this.forwardedFor,
      ...(this.origin ? { origin: this.origin } : {}),
      ...(this.csrf ? { [ADMIN_CSRF_HEADER]: this.csrf } : {}),
      ...extra,
    };
  }

  /** One call over the lean route: GET for queries, POST for mutations. */
  async call(
    path: string,
    type: 'query' | 'mutation' | 'subscription',
    input?: unknown,
    extra: Record<string, string> = {},
  ): Promise<Answer> {
    const url = new URL(`${this.baseUrl}/trpc/${path}`);
    if (type === 'query' && input !== undefined)
      url.searchParams.set('input', JSON.stringify(input));
    const res = await this.fetch(url, {
      method: type === 'query' ? 'GET' : 'POST',
      headers: {
        ...this.headers(extra),
        ...(type === 'mutation' ? { 'content-type': 'application/json' } : {}),
      },
      body: type === 'mutation' && input !== undefined ? JSON.stringify(input) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Answer['body'], headers: res.headers };
  }

  /** The same call inside a batch (`?batch=1`), served by tRPC's stock fastify adapter. */
  async batch(path: string, type: 'query' | 'mutation', input?: unknown): Promise<Answer> {
    const url = new URL(`${this.baseUrl}/trpc/${path}`);
    url.searchParams.set('batch', '1');
    const wrapped = JSON.stringify({ 0: input });
    if (type === 'query') url.searchParams.set('input', wrapped);
    const res = await this.fetch(url, {
      method: type === 'query' ? 'GET' : 'POST',
      headers: {
        ...this.headers(),
        ...(type === 'mutation' ? { 'content-type': 'application/json' } : {}),
      },
      body: type === 'mutation' ? wrapped : undefined,
    });
    const [first] = (await res.json()) as Answer['body'][];
    return { status: res.status, body: first!, headers: res.headers };
  }

  async signIn(username: string, password = PASSWORD): Promise<Answer> {
    const r = await this.call('admin.auth.signIn', 'mutation', { username, password });
    if (r.status === 200) this.csrf = (r.body.result!.data as AdminMe).csrfToken;
    return r;
  }

  /** A WebSocket carrying this browser's cookies (as a browser's upgrade request does). */
  async socket(): Promise<RawSocket> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return RawSocket.open(`${this.baseUrl.replace('http', 'ws')}/trpc`, {
      ...(cookie ? { cookie } : {}),
      ...(this.origin ? { origin: this.origin } : {}),
    });
  }
}

/** tRPC over a raw WebSocket: one request, its first answer frame. */
export class RawSocket {
  private readonly frames: {
    id?: unknown;
    result?: unknown;
    error?: { data: { code: string } };
  }[] = [];
  private waiters: (() => void)[] = [];
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString()) as (typeof this.frames)[number]);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(url: string, headers: Record<string, string>): Promise<RawSocket> {
    const ws = new WebSocket(url, { headers });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new RawSocket(ws);
  }

  async call(path: string, type: 'query' | 'mutation' | 'subscription', input?: unknown) {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method: type, params: { path, input } }));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const frame = this.frames.find((f) => f.id === id);
      if (frame) return frame;
      if (Date.now() > deadline) throw new Error(`no answer to ${path} over ws`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}
