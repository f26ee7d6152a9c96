import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/unstable-core-do-not-import';

/** Domain error codes, each mapped to one tRPC code (and so one HTTP status). */
export const APP_ERROR_CODES = {
  UNKNOWN_MODEL: 'NOT_FOUND',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  VOTES_NOT_READY: 'SERVICE_UNAVAILABLE',
  INVALID_VOTER: 'UNAUTHORIZED',
  /** The ballot was voided by an integrity flag (under review or removed): it cannot change. */
  VOTE_UNDER_REVIEW: 'CONFLICT',
  /** The voter id or its network is banned by a confirmed integrity flag. */
  VOTER_BANNED: 'FORBIDDEN',
  /** An "as of" time after now: history cannot show it. */
  FUTURE_TIME: 'BAD_REQUEST',
} as const satisfies Record<string, TRPC_ERROR_CODE_KEY>;
export type AppErrorCode = keyof typeof APP_ERROR_CODES;

/** A domain error; `errorFormatter` exposes `appCode` and `retryAfterSec` to clients. */
export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function appError(code: AppErrorCode, message: string, retryAfterSec?: number): TRPCError {
  const cause = new AppError(code, message, retryAfterSec);
  return new TRPCError({ code: APP_ERROR_CODES[code], message, cause });
}
