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
