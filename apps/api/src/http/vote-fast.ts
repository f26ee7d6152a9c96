import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

import fastifyCookie from '@fastify/cookie';
import proxyAddr from '@fastify/proxy-addr';
import { castVoteInputSchema } from '@llmpt/shared';
import { HSTS_HEADER } from '@llmpt/shared/security-headers';
import { TRPCError, getTRPCErrorFromUnknown } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';

import { type AdminCookie, wsAdminCookie } from '../admin/cookie.ts';
import type { Context, Deps } from '../context.ts';
import { castVote } from '../routers/vote.router.ts';
import { errorShape, httpResultBody } from '../trpc-wire.ts';
import { isHttps } from './cached-reads.ts';
import { parseJsonBody } from './json-body.ts';
import {
  VOTER_COOKIE,
  type VoterIdentity,
  droppedVoterCookieHeader,
  voterCookieHeader,
  voterOf,
} from './voter-cookie.ts';

const URL = '/trpc/vote.cast';
const PATH = 'vote.cast';
const JSON_TYPE = 'application/json';
/** What fastify sends for a JSON answer: it adds the charset to every content type without one. */
const JSON_SENT = 'application/json; charset=utf-8';

/**
 * Answers `POST /trpc/vote.cast` (the stock `httpLink`'s single call: the vote, the hottest
 * write there is) as soon as node:http has parsed the request, before fastify, its hooks and
 * tRPC's middleware chain (12.6 % of the vote path's CPU in a profile, half of it object
 * spreads): the request's body is read here, validated with the procedure's own schema and the
 * vote run by the procedure's own function (`castVote` in vote.router.ts), and the answer written
 * in tRPC's wire format in one write of prebuilt headers.
 *
 * The answer is the tRPC route's, byte for byte (test/vote-fast.test.ts sends the same requests
 * both ways): the security headers (HSTS over TLS), the voter cookie (verified; a new visitor's
 * signed cookie set, a forged one cleared, by voter-cookie.ts's one definition), the input and
 * JSON errors (tRPC's error shape through the same formatter; a body that is not JSON as
 * app.ts's error handler answers it, by the same rule, http/json-body.ts), every outcome's
 * status, `Retry-After`, the request metric of trpc-route.ts and the vote's own series. A client
 * that goes away mid-body leaves nothing behind (no 'end'; node emits no 'error' to a request
 * without listeners). What it cannot decide from the request
 * line and headers goes to fastify (returns false) before anything is read: another method or
 * URL (a query string, `?batch=1`), a content type other than plain `application/json`, a
 * chunked, empty or over-limit body (fastify's 413/415/400 answers).
 */
export function voteFast(
  deps: Deps,
  securityHeaders: readonly string[],
  bodyLimit: number,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const heads = new Heads(securityHeaders);
  const ok = deps.metrics.series.requestOk.mutation(PATH);
  const { requestDuration } = deps.metrics;
  const https = (req: IncomingMessage) => isHttps(req, deps.trustProxy);

  const answer = async (req: IncomingMessage, res: ServerResponse, text: string) => {
    const secure = https(req);
    let input: unknown;
    try {
      input = parseJsonBody(text);
    } catch (cause) {
      // fastify's error handler (app.ts) answers a body parser's error: no request metric.
      const error = getTRPCErrorFromUnknown(cause);
      const shape = errorShape({
        cause: error,
        type: 'unknown',
        path: PATH,
        input,
        ctx: undefined,
      });
      write(res, getHTTPStatusCodeFromError(error), heads.error(secure, null), null, {
        error: shape,
      });
      return;
    }
    const start = performance.now();
    const ctx = new FastVoteContext(deps, req);
    try {
      let parsed;
      try {
        parsed = castVoteInputSchema.parse(input);
      } catch (cause) {
        // tRPC's input middleware's error, exactly.
        throw new TRPCError({ code: 'BAD_REQUEST', cause });
      }
      const result = await castVote(ctx, parsed);
      const body = httpResultBody(result);
      ok.observe((performance.now() - start) / 1000);
      res.writeHead(200, heads.ok(secure, ctx.cookie(secure), Buffer.byteLength(body)));
      res.end(body);
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      requestDuration.observe(
        { path: PATH, type: 'mutation', code: error.code },
        (performance.now() - start) / 1000,
      );
      if (error.code === 'INTERNAL_SERVER_ERROR')
        deps.log.error({ err: error.cause ?? error, path: PATH }, 'tRPC procedure failed');
      const shape = errorShape({ cause: error, type: 'mutation', path: PATH, input, ctx });
      const retryAfter = (shape.data as { retryAfterSec?: number | null }).retryAfterSec;
      write(
        res,
        getHTTPStatusCodeFromError(error),
        heads.error(secure, retryAfter ? String(retryAfter) : null),
        ctx.cookie(secure),
        { error: shape },
      );
    }
  };

  // A failure outside the answers above (a bug): logged, and the client is not left waiting.
  const fail = (res: ServerResponse, err: unknown) => {
    deps.log.error({ err, path: PATH }, 'vote: the early route failed');
    if (res.headersSent) return res.destroy();
    const error = getTRPCErrorFromUnknown(err);
    const shape = errorShape({
      cause: error,
      type: 'mutation',
      path: PATH,
      input: undefined,
      ctx: undefined,
    });
    write(res, 500, heads.error(https(res.req), null), null, { error: shape });
  };

  return (req, res) => {
    if (req.method !== 'POST' || req.url !== URL) return false;
    const headers = req.headers;
    if (headers['content-type'] !== JSON_TYPE || headers['transfer-encoding'] !== undefined)
      return false;
    const length = Number(headers['content-length']);
    if (!(length > 0 && length <= bodyLimit)) return false;

    let first: Buffer | undefined;
    let rest: Buffer[] | undefined;
    req.on('data', (chunk: Buffer) => {
      if (first === undefined) first = chunk;
      else (rest ??= [first]).push(chunk);
    });
    req.on('end', () => {
      const body = rest ? Buffer.concat(rest) : first;
      answer(req, res, body ? body.toString('utf8') : '').catch((err: unknown) => fail(res, err));
    });
    return true;
  };
}

/** Writes an error answer (tRPC's `{ error }`) with headers from `Heads.error`. */
function write(
  res: ServerResponse,
  status: number,
  headers: string[],
  cookie: string | null,
  payload: { error: unknown },
): void {
  const body = JSON.stringify(payload);
  if (cookie !== null) headers.push('set-cookie', cookie);
  headers.push('content-length', String(Buffer.byteLength(body)));
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * Response headers in the order fastify writes them (the onRequest hook's security headers,
 * HSTS, Retry-After, the content type, the cookie, the length). A success's are one array per
 * TLS-or-not and cookie-or-not, refilled per answer (writeHead copies them at once).
 */
class Heads {
  private readonly plain: readonly string[];
  private readonly tls: readonly string[];
  private readonly oks: string[][];

  constructor(securityHeaders: readonly string[]) {
    this.plain = securityHeaders;
    this.tls = [...securityHeaders, 'strict-transport-security', HSTS_HEADER];
    this.oks = [false, true].flatMap((secure) =>
      [false, true].map((cookie) => [
        ...(secure ? this.tls : this.plain),
        'content-type',
        JSON_SENT,
        ...(cookie ? ['set-cookie', ''] : []),
        'content-length',
        '',
      ]),
    );
  }

  ok(secure: boolean, cookie: string | null, length: number): string[] {
    const headers = this.oks[(secure ? 2 : 0) + (cookie === null ? 0 : 1)]!;
    if (cookie !== null) headers[headers.length - 3] = cookie;
    headers[headers.length - 1] = String(length);
    return headers;
  }

  /** An error's headers so far (a new array: the cookie and length are pushed after). */
  error(secure: boolean, retryAfter: string | null): string[] {
    const headers = [...(secure ? this.tls : this.plain)];
    if (retryAfter !== null) headers.push('retry-after', retryAfter);
    headers.push('content-type', JSON_SENT);
    return headers;
  }
}

/**
 * The vote's context on the early route: what `createContext` gives the tRPC procedure, from
 * the raw request. The voter cookie is read as fastify's cookie plugin reads it and verified as
 * `readVoter` does; a new visitor's cookie, or the clearing of a forged one, is remembered and
 * written with the answer (`cookie`). A class: one allocation per vote.
 */
class FastVoteContext implements Context {
  readonly transport = 'http';
  private identity: VoterIdentity | undefined;
  private dropped = false;
  private address: string | undefined;

  constructor(
    readonly deps: Deps,
    private readonly req: IncomingMessage,
  ) {}

  voter(): VoterIdentity {
    if (this.identity) return this.identity;
    const header = this.req.headers.cookie;
    const raw = header === undefined ? undefined : fastifyCookie.parse(header)[VOTER_COOKIE];
    return (this.identity = voterOf(this.deps.env, raw));
  }

  dropVoterCookie(): void {
    this.dropped = true;
  }

  /** The Set-Cookie to send: a new visitor's voter cookie, or the clearing of a forged one. */
  cookie(secure: boolean): string | null {
    if (this.dropped) return droppedVoterCookieHeader();
    if (this.identity?.status === 'new')
      return voterCookieHeader(this.deps.env, this.identity.id, secure);
    return null;
  }

  /** fastify's `request.ip` (the same TRUST_PROXY rule), found once: the vote reads it thrice. */
  get ip(): string {
    return (this.address ??= proxyAddr(this.req, this.deps.trustProxy));
  }

  get userAgent(): string {
    return this.req.headers['user-agent'] ?? '';
  }

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  get adminCookie(): AdminCookie {
    return wsAdminCookie(this.req);
  }
}
