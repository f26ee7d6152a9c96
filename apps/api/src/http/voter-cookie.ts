import { randomBytes } from 'node:crypto';

import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { Env } from '../env.ts';

export const VOTER_COOKIE = 'vid';
export const VOTER_ID = /^[A-Za-z0-9_-]{22}$/;
/** Browsers cap cookie lifetime at 400 days. */
const COOKIE_MAX_AGE_SEC = 400 * 24 * 60 * 60;

export interface VoterIdentity {
  id: string;
  /**
   * 'returning': a valid signed cookie. 'new': no cookie; `id` is freshly minted (the context
   * sets its cookie; nothing is written server-side). 'forged': a cookie with a bad signature.
   * Whether the voter has ever voted is the session's business (VoterSessions.known).
   */
  status: 'returning' | 'new' | 'forged';
}

/**
 * Reads the signed voter cookie (random id + HMAC-SHA256, via @fastify/cookie); a caller without
 * one gets a fresh random id.
 */
export function readVoter(req: FastifyRequest): VoterIdentity {
  const raw = req.cookies[VOTER_COOKIE];
  if (raw !== undefined) {
    const unsigned = req.unsignCookie(raw);
    if (unsigned.valid && unsigned.value !== null && VOTER_ID.test(unsigned.value)) {
      return { id: unsigned.value, status: 'returning' };
    }
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
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: secureCookies(env, req),
    path: '/',
    maxAge: COOKIE_MAX_AGE_SEC,
  });
}

/**
 * Whether cookies set on this reply are Secure: COOKIE_SECURE, where 'auto' means the request
 * came over TLS (directly, or per X-Forwarded-Proto from a TRUST_PROXY address). The one rule
 * for every cookie the api sets.
 */
export function secureCookies(env: Env, req: FastifyRequest): boolean {
  return env.COOKIE_SECURE === 'auto' ? req.protocol === 'https' : env.COOKIE_SECURE === 'true';
}

/** Removes an invalid voter cookie, so the browser's next vote starts a fresh identity. */
export function dropVoterCookie(reply: FastifyReply): void {
  reply.clearCookie(VOTER_COOKIE, { path: '/' });
}
