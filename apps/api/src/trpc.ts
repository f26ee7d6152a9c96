import { initTRPC } from '@trpc/server';
import { ZodError, z } from 'zod';

import type { Context } from './context.ts';
import { AppError } from './errors.ts';

/**
 * Plain JSON on the wire (no transformer), so curl and third parties can call every procedure.
 * Zod errors are flattened for forms; domain errors carry `appCode` and `retryAfterSec`.
 */
const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
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
