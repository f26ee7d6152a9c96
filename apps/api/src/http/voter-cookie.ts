import { randomBytes } from 'node:crypto';

import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { Deps } from '../context.ts';

export const VOTER_COOKIE = 'vid';
export const VOTER_ID = /^[A-Za-z0-9_-]{22}$/;
/** Browsers cap cookie lifetime at 400 days. */
const COOKIE_MAX_AGE_SEC = 400 * 24 * 60 * 60;

export interface VoterIdentity {
  id: string;
  /** 'forged': a cookie came with a bad signature; a fresh identity was issued instead. */
  status: 'returning' | 'new' | 'forged';
}

/**
 * Reads the signed voter cookie (random id + HMAC-SHA256, via @fastify/cookie), or issues a new
 * one and opens its session. Called only by procedures that need the voter, so public reads
 * carry no Set-Cookie and stay cacheable.
 */
export function resolveVoter(deps: Deps, req: FastifyRequest, reply: FastifyReply): VoterIdentity {
  const raw = req.cookies[VOTER_COOKIE];
  if (raw !== undefined) {
    const unsigned = req.unsignCookie(raw);
    if (unsigned.valid && unsigned.value !== null && VOTER_ID.test(unsigned.value)) {
      return { id: unsigned.value, status: 'returning' };
    }
  }
  const id = randomBytes(16).toString('base64url');
  const secure =
    deps.env.COOKIE_SECURE === 'auto'
      ? req.protocol === 'https'
      : deps.env.COOKIE_SECURE === 'true';
  reply.setCookie(VOTER_COOKIE, id, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    maxAge: COOKIE_MAX_AGE_SEC,
  });
  deps.sessions
    .create(id, req.ip, req.headers['user-agent'] ?? '')
    .catch((err: unknown) => req.log.warn({ err }, 'voter session write failed'));
  return { id, status: raw === undefined ? 'new' : 'forged' };
}
