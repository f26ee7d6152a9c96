import { randomBytes } from 'node:crypto';

import fastifyCookie, { signerFactory } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { Env } from '../env.ts';

export const VOTER_COOKIE = 'vid';
export const VOTER_ID = /^[A-Za-z0-9_-]{22}$/;
/** Browsers cap cookie lifetime at 400 days. */
const COOKIE_MAX_AGE_SEC = 400 * 24 * 60 * 60;
/**
 * The voter cookie's attributes but Secure (and signing): fastify's reply and the early vote
 * route (vote-fast.ts) set the same.
 */
const VOTER_COOKIE_OPTIONS = {
  httpOnly: true,
  sameSite: 'lax',
  path: '/',
  maxAge: COOKIE_MAX_AGE_SEC,
} as const;
/** Where an invalid voter cookie is cleared. */
const DROP_OPTIONS = { path: '/' } as const;

export interface VoterIdentity {
  id: string;
  /**
   * 'returning': a valid signed cookie. 'new': no cookie; `id` is freshly minted (the context
   * sets its cookie; nothing is written server-side). 'forged': a cookie with a bad signature.
   * Whether the voter has ever voted is the session's business (VoterSessions.known).
   */
  status: 'returning' | 'new' | 'forged';
}

/** Verified cookies remembered per secret: about the voters one process sees in a while. */
const VERIFIED_COOKIES_MAX = 50_000;

/**
 * Signed voter cookies (random id + HMAC-SHA256, @fastify/cookie's format) already verified
 * under one secret, so a returning voter's every request does not compute the HMAC again (3 %
 * of the vote path's CPU in a profile). Only cookies that verified are kept, as the exact string
 * sent: a hit is that very string, which its holder could have had verified anyway, and every
 * other string, a near miss included, goes through the constant-time comparison. Bounded: past
 * the limit the oldest is forgotten (and verified again if it comes back).
 */
class VerifiedCookies {
  private readonly signer: ReturnType<typeof signerFactory>;
  private readonly verified = new Set<string>();

  constructor(secret: string) {
    this.signer = signerFactory(secret);
  }

  sign(id: string): string {
    return this.signer.sign(id);
  }

  /** The voter id a signed cookie carries, or null when its signature or id is not valid. */
  voterId(raw: string): string | null {
    if (this.verified.has(raw)) return raw.slice(0, raw.lastIndexOf('.'));
    const unsigned = this.signer.unsign(raw);
    if (!unsigned.valid || unsigned.value === null || !VOTER_ID.test(unsigned.value)) return null;
    if (this.verified.size >= VERIFIED_COOKIES_MAX) {
      this.verified.delete(this.verified.values().next().value as string);
    }
    this.verified.add(raw);
    return unsigned.value;
  }
}

/** One per secret: apps with different secrets (tests build several) never share a cookie. */
const verifiedBySecret = new Map<string, VerifiedCookies>();

function cookiesOf(secret: string): VerifiedCookies {
  let cookies = verifiedBySecret.get(secret);
  if (!cookies) verifiedBySecret.set(secret, (cookies = new VerifiedCookies(secret)));
  return cookies;
}

/** The voter id of a signed `vid` cookie value, or null when it is not a valid one. */
export function verifiedVoterId(secret: string, raw: string): string | null {
  return cookiesOf(secret).voterId(raw);
}

/** A caller without a valid signed voter cookie gets a fresh random id. */
export function readVoter(env: Env, req: FastifyRequest): VoterIdentity {
  return voterOf(env, req.cookies[VOTER_COOKIE]);
}

/** `readVoter` for the `vid` cookie's value as sent (undefined: none). */
export function voterOf(env: Env, raw: string | undefined): VoterIdentity {
  if (raw !== undefined) {
    const id = verifiedVoterId(env.VOTER_COOKIE_SECRET, raw);
    if (id !== null) return { id, status: 'returning' };
  }
  return {
    id: randomBytes(16).toString('base64url'),
    status: raw === undefined ? 'new' : 'forged',
  };
}

/**
 * Sets a new visitor's cookie. Stateless (a signed random id): issuing it writes nothing, so a
 * browser holds its identity from its first read on, and parallel first votes share it.
 */
export function setVoterCookie(
  env: Env,
  req: FastifyRequest,
  reply: FastifyReply,
  id: string,
): void {
  reply.setCookie(VOTER_COOKIE, id, {
    ...VOTER_COOKIE_OPTIONS,
    signed: true,
    secure: secureCookies(env, req),
  });
}

/**
 * The Set-Cookie value `setVoterCookie` makes fastify write, for a response written without
 * fastify (http/vote-fast.ts): the same signature, attributes and serializer.
 */
export function voterCookieHeader(env: Env, id: string, https: boolean): string {
  return fastifyCookie.serialize(VOTER_COOKIE, cookiesOf(env.VOTER_COOKIE_SECRET).sign(id), {
    ...VOTER_COOKIE_OPTIONS,
    secure: secureFor(env, https),
  });
}

/** The Set-Cookie value `dropVoterCookie` makes fastify write (@fastify/cookie's clearCookie). */
export function droppedVoterCookieHeader(): string {
  return fastifyCookie.serialize(VOTER_COOKIE, '', {
    sameSite: 'lax',
    ...DROP_OPTIONS,
    expires: new Date(0),
    maxAge: 0,
  });
}

/**
 * Whether cookies set on this reply are Secure: COOKIE_SECURE, where 'auto' means the request
 * came over TLS (directly, or per X-Forwarded-Proto from a TRUST_PROXY address). The one rule
 * for every cookie the api sets.
 */
export function secureCookies(env: Env, req: FastifyRequest): boolean {
  return secureFor(env, req.protocol === 'https');
}

/** `secureCookies` for a request known to have come over TLS (`https`) or not. */
export function secureFor(env: Env, https: boolean): boolean {
  return env.COOKIE_SECURE === 'auto' ? https : env.COOKIE_SECURE === 'true';
}

/** Removes an invalid voter cookie, so the browser's next vote starts a fresh identity. */
export function dropVoterCookie(reply: FastifyReply): void {
  reply.clearCookie(VOTER_COOKIE, DROP_OPTIONS);
}
