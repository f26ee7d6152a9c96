import type { AppRouter } from '@llmpt/api/router';
import { isTRPCClientError } from '@trpc/client';

/** True when the server answered 4xx: retrying the same call won't help. */
export function isClientFault(error: unknown): boolean {
  if (!isTRPCClientError<AppRouter>(error)) return false;
  const status = error.data?.httpStatus;
  return status !== undefined && status >= 400 && status < 500;
}

/**
 * A sentence to show the user. Domain errors (rate limited, unknown model, voting not ready)
 * carry a message written for people, including when to retry; the rest get a generic one.
 */
export function errorMessage(error: unknown): string {
  if (!isTRPCClientError<AppRouter>(error)) return 'Something went wrong. Please try again.';
  const data = error.data;
  // No error body: the request never reached the api (offline, proxy down, non-JSON 502).
  if (!data) return 'Couldn’t reach the server. Check your connection and try again.';
  if (data.appCode !== null) return error.message;
  switch (data.code) {
    case 'TOO_MANY_REQUESTS':
      return error.message;
    case 'BAD_REQUEST':
      return 'The server rejected that request.';
    case 'NOT_FOUND':
      return 'That model no longer exists. Refresh the page.';
    default:
      return 'Something went wrong on our side. Please try again.';
  }
}
