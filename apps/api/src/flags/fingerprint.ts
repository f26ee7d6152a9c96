import { HIDE_RESULTS_FLAG } from '@llmpt/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { Context } from '../context.ts';
import type { Env } from '../env.ts';
import { secureCookies } from '../http/voter-cookie.ts';

/**
 * The caller's read-variant fingerprint, as a cookie nginx puts in its cache key (see
 * ProcedureMeta.variant in trpc.ts). Plain (not signed): it only selects which shared cache entry
 * a request may be served from, and the api checks it against its own evaluation.
 */
export const FINGERPRINT_COOKIE = 'llmpt_fv';
const MAX_AGE_SEC = 400 * 24 * 60 * 60;

/** The variant tag a voter's 'hide-results' adds to the reads it changes. */
export const SEALED = 'sealed';
/** The fingerprint of the open variant for a caller with a voter cookie. */
export const OPEN = 'open';

export function setFingerprintCookie(
  env: Env,
  req: FastifyRequest,
  reply: FastifyReply,
  value: string,
): void {
  if (value === '') {
    reply.clearCookie(FINGERPRINT_COOKIE, { path: '/' });
    return;
  }
  reply.setCookie(FINGERPRINT_COOKIE, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: secureCookies(env, req),
    path: '/',
    maxAge: MAX_AGE_SEC,
  });
}

/**
 * The voter id a flag is evaluated for: the signed cookie's (a new HTTP visitor is given one
 * here); none for a forged cookie or a WebSocket without one (the flag's default then applies).
 */
export function targetingKeyOf(ctx: Context): string | undefined {
  try {
    const voter = ctx.voter();
    return voter.status === 'forged' ? undefined : voter.id;
  } catch {
    return undefined;
  }
}

/** Whether this caller gets the sealed leaderboard ('hide-results' on for them). */
export function resultsSealed(ctx: Context): boolean {
  return ctx.deps.flags.isOnLazy(HIDE_RESULTS_FLAG, () => targetingKeyOf(ctx));
}

/**
 * The caller's read variant: '' (the open reads) or 'sealed'. It is also the fingerprint the
 * `llmpt_fv` cookie carries, since 'hide-results' is the one flag that changes a cached read.
 * A second such flag adds its tag here (joined with '.'), and every variant read then splits on
 * the whole fingerprint: a few more cache entries, never a wrong one.
 */
export function readVariant(ctx: Context): string {
  return resultsSealed(ctx) ? SEALED : '';
}

/** The read variant of an evaluation `flags.evaluate` made (same rule as `readVariant`). */
export function variantOfEvaluation(flags: Record<string, { value: boolean }>): string {
  return flags[HIDE_RESULTS_FLAG]?.value ? SEALED : '';
}

/**
 * The caller's fingerprint (the `llmpt_fv` value) for its read variant: the variant itself, or,
 * for the open one, 'open' when the caller carries a voter cookie (or was just given one) and ''
 * when it carries none. Why not '' for every open caller: nginx bypasses its cache for a request
 * with a voter cookie and no fingerprint (nginx.conf.template), so a voter whose fingerprint is
 * missing (cleared, never set) is answered by the api and given the right one, instead of being
 * served whatever the anonymous key holds; and entries under '' can only be made by anonymous
 * readers, whose answer is never sealed unless the flag is on for everyone (then 'sealed').
 */
export function fingerprintOf(ctx: Context, variant: string): string {
  if (variant !== '') return variant;
  return ctx.flagFingerprint?.identified() ? OPEN : '';
}

/**
 * Makes the caller's cookie say `fingerprint`; true when it already did (an HTTP answer for this
 * request may then be kept at the edge under the cookie's cache key).
 */
export function syncFingerprint(ctx: Context, fingerprint: string): boolean {
  const cookie = ctx.flagFingerprint;
  if (!cookie) return false;
  if (cookie.sent === fingerprint) return true;
  cookie.set(fingerprint);
  return false;
}
