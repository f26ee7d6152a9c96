import type { AppRouter } from '@llmpt/api/router';
import { isTRPCClientError } from '@trpc/client';

/** True when the server answered 4xx: retrying the same call won't help. */
export function isClientFault(error: unknown): boolean {
  if (!isTRPCClientError<AppRouter>(error)) return false;
  const status = error.data?.httpStatus;
  return status !== undefined && status >= 400 && status < 500;
}

/** True when the request never got an answer from the api (offline, proxy down, non-JSON 502). */
export function isUnreachable(error: unknown): boolean {
  return isTRPCClientError<AppRouter>(error) && !error.data;
}

/** True for the api's "no such model" (404, `UNKNOWN_MODEL`). */
export function isNotFound(error: unknown): boolean {
  return isTRPCClientError<AppRouter>(error) && error.data?.code === 'NOT_FOUND';
}

/** The api's domain error code (`AppError`: 'RATE_LIMITED', 'VOTE_UNDER_REVIEW', …), if any. */
export function appCodeOf(error: unknown): string | null {
  if (!isTRPCClientError<AppRouter>(error)) return null;
  const code: unknown = error.data?.appCode;
  return typeof code === 'string' ? code : null;
}

/** Seconds the server asked us to wait (rate limited, voting starting up), if it said. */
export function retryAfterSec(error: unknown): number | null {
  if (!isTRPCClientError<AppRouter>(error)) return null;
  const sec = error.data?.retryAfterSec;
  return typeof sec === 'number' && Number.isFinite(sec) ? Math.max(1, Math.ceil(sec)) : null;
}

/**
 * A sentence to show the user. Domain errors (rate limited, unknown model, voting not ready)
 * carry a message written for people; a rate limit always ends with when to try again, from
 * `retryAfterSec` (`errorFormatter` in apps/api/src/trpc.ts). The rest get a generic one.
 */
export function errorMessage(error: unknown): string {
  if (!isTRPCClientError<AppRouter>(error)) return 'Something went wrong. Please try again.';
  const data = error.data;
  if (!data) return 'Couldn’t reach the server. Check your connection and try again.';
  if (data.appCode === 'RATE_LIMITED' || data.code === 'TOO_MANY_REQUESTS') {
    // The api's own message says whose limit it was ("from this network") and when.
    if (/try again in \d+ (s|min)\b/.test(error.message)) return sentence(error.message);
    const wait = retryAfterSec(error);
    const when = wait === null ? 'try again in a minute' : `try again in ${wait} s`;
    return `Too many votes in a short time: ${when}.`;
  }
  if (data.appCode !== null) return sentence(error.message);
  switch (data.code) {
    case 'BAD_REQUEST':
      return 'The server rejected that request.';
    case 'NOT_FOUND':
      return 'That model no longer exists. Refresh the page.';
    default:
      return 'Something went wrong on our side. Please try again.';
  }
}

const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);
