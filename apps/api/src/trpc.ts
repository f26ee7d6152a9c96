import { initTRPC } from '@trpc/server';
import { ZodError, z } from 'zod';

import { authenticateAdmin } from './admin/guard.ts';
import type { Context, Deps } from './context.ts';
import { AppError } from './errors.ts';

/** What a procedure declares about itself; read by the transports (see trpc-wire.ts). */
export interface ProcedureMeta {
  /**
   * A public read whose answer depends only on its input and on this version (null: not
   * cacheable right now). Its encoded answer is kept per (path, input, version) and served to
   * HTTP and WebSocket alike, with the version as ETag.
   */
  cacheVersion?: (deps: Deps) => string | null;
  /**
   * A public read the edge (nginx's proxy_cache) may keep this many seconds: sent as
   * `X-Accel-Expires` on a successful answer (nginx hides it from clients); anything without it
   * is never cached at the edge. How stale a read may be is the procedure's call, so it lives here.
   */
  edgeTtlSec?: number;
  /**
   * A cacheable read whose answer also depends on flags evaluated for the caller: the caller's
   * read variant ('' for the plain answer; e.g. 'sealed' while 'hide-results' is on for them).
   * The rule "a flag that changes a cached read is part of that read's cache key and version"
   * lives here, once, and every layer follows it:
   *
   * - L1 (the response cache, HTTP and WebSocket alike): the variant is part of the key and of
   *   the version, so sealed and open answers are separate entries with different ETags (a
   *   client that switched variant never gets a 304 for the other one), and the flags' version
   *   is part of the version, so nothing cached before a flag change is served after.
   * - L3 (nginx): proxy_cache_key includes the `llmpt_fv` cookie, the caller's fingerprint
   *   (flags/fingerprint.ts), which the api sets whenever it evaluates flags for an HTTP caller
   *   (`flags.evaluate` and every variant read). A variant read is sent with X-Accel-Expires
   *   ONLY when the request's cookie equals the api's own evaluation; otherwise the answer is not
   *   kept at the edge and the cookie is corrected (Set-Cookie: nginx never stores such an
   *   answer). So every nginx entry under a key was made by a request whose evaluation matched
   *   that key. A voter's fingerprint is never empty ('open' or 'sealed'; '' is for readers
   *   without a voter cookie) and nginx bypasses its cache for a voter cookie without one, so a
   *   voter whose fingerprint cookie is missing is answered by the api, never from the anonymous
   *   entry. A client that forges its cookie gets the entry of the variant it names: the flag
   *   shapes what a voter is shown, it is not access control.
   */
  variant?: (ctx: Context) => string;
}

/**
 * Plain JSON on the wire (no transformer), so curl and third parties can call every procedure.
 * Zod errors are flattened for forms; domain errors carry `appCode` and `retryAfterSec`.
 * Production by default: no stack traces, and an internal error's message is not shown (it can
 * name files, hosts or queries); NODE_ENV=development adds both back.
 */
const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    isDev: false,
    errorFormatter({ shape, error, ctx }) {
      const dev = ctx?.deps.env.NODE_ENV === 'development';
      const internal = error.code === 'INTERNAL_SERVER_ERROR';
      const cause = error.cause;
      return {
        ...shape,
        message: internal && !dev ? 'Internal server error' : shape.message,
        data: {
          ...shape.data,
          ...(dev ? { stack: error.stack } : {}),
          zodError: cause instanceof ZodError ? z.flattenError(cause) : null,
          appCode: cause instanceof AppError ? cause.code : null,
          retryAfterSec: cause instanceof AppError ? (cause.retryAfterSec ?? null) : null,
        },
      };
    },
  });

export const router = t.router;
export const publicProcedure = t.procedure;
export const createCallerFactory = t.createCallerFactory;

/**
 * Procedures for admins only: without a valid admin session (and, for mutations, the session's
 * CSRF token and a same-site Origin) the answer is 401 or 403 and the resolver never runs, over
 * the lean HTTP route, batches, SSE and WebSocket alike (they all run this middleware).
 */
export const adminProcedure = t.procedure.use(async ({ ctx, type, next }) => {
  const admin = await authenticateAdmin(ctx, type);
  return next({ ctx: { admin } });
});
