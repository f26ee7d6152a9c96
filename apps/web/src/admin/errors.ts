import type { AppRouter } from '@llmpt/api/router';
import { type TRPCClientError, isTRPCClientError } from '@trpc/client';

import { isClientFault, retryAfterSec } from '../lib/errors.ts';

type AdminError = TRPCClientError<AppRouter>;

function asError(error: unknown): AdminError | null {
  return isTRPCClientError<AppRouter>(error) ? error : null;
}

function status(error: unknown): number | undefined {
  return asError(error)?.data?.httpStatus;
}

export const isUnauthorized = (error: unknown): boolean => status(error) === 401;
export const isForbidden = (error: unknown): boolean => status(error) === 403;
export const isConflict = (error: unknown): boolean => asError(error)?.data?.code === 'CONFLICT';
export const isTooManyRequests = (error: unknown): boolean => status(error) === 429;

/** Queries retry a server or network failure twice, never a 4xx (it would fail the same way). */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  return failureCount < 2 && !isClientFault(error);
}

/** The server's per-field messages (zod's `flattenError`), by field name. */
export function fieldErrors(error: unknown): Record<string, string[]> {
  const zod = asError(error)?.data?.zodError;
  const out: Record<string, string[]> = {};
  if (!zod) return out;
  for (const [field, messages] of Object.entries(zod.fieldErrors)) {
    if (Array.isArray(messages) && messages.length > 0) out[field] = messages.map(String);
  }
  return out;
}

/** Errors about the whole input (not one field), e.g. an unknown key. */
export function formErrors(error: unknown): string[] {
  return asError(error)?.data?.zodError?.formErrors ?? [];
}

/** "Too many attempts — try again in 42 s", from the answer's `retryAfterSec`. */
export function lockoutMessage(error: unknown): string {
  const wait = retryAfterSec(error);
  return wait === null
    ? 'Too many attempts — try again later'
    : `Too many attempts — try again in ${wait} s`;
}

/**
 * A sentence for an admin. 401 never reaches a view (it shows the sign-in form); 403 says the
 * request was refused and what usually causes it; 429 says when to try again; a conflict or a
 * domain error carries the server's own message.
 */
export function adminErrorMessage(error: unknown): string {
  const e = asError(error);
  if (!e) return 'Something went wrong. Please try again.';
  const data = e.data;
  if (!data) return 'Couldn’t reach the server. Check your connection and try again.';
  switch (data.httpStatus) {
    case 401:
      return 'Your session ended — sign in again.';
    case 403:
      return `The server refused this request (403 Forbidden): ${sentence(e.message)} Reload the page and try again.`;
    case 429:
      return `${lockoutMessage(error)}.`;
    default:
      break;
  }
  if (data.code === 'NOT_IMPLEMENTED') return 'This part of the api is not available yet.';
  if (data.code === 'INTERNAL_SERVER_ERROR') return 'The server failed. Please try again.';
  return sentence(e.message);
}

const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);
