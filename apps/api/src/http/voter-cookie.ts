import { createHmac, randomBytes } from 'node:crypto';

import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { Deps } from '../context.ts';

export const VOTER_COOKIE = 'vid';
const VOTER_ID = /^[A-Za-z0-9_-]{22}$/;
const SESSION_TTL_SEC = 24 * 60 * 60;
/** Browsers cap cookie lifetime at 400 days. */
const COOKIE_MAX_AGE_SEC = 400 * 24 * 60 * 60;

export interface VoterIdentity {
  id: string;
  /** 'forged': a cookie came with a bad signature; a fresh identity was issued instead. */
  status: 'returning' | 'new' | 'forged';
}

/**
 * Reads the signed voter cookie (random id + HMAC-SHA256, via @fastify/cookie), or issues a new
 * one. A new voter also gets a session record in Redis (24 h TTL, refreshed on every vote).
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
  const now = new Date().toISOString();
  void deps.redis
    .multi()
    .hset(sessionKey(deps, id), {
      firstSeen: now,
      lastSeen: now,
      ipHash: hashFor(deps, req.ip),
      uaHash: hashFor(deps, req.headers['user-agent'] ?? ''),
    })
    .expire(sessionKey(deps, id), SESSION_TTL_SEC)
    .exec()
    .catch((err: unknown) => req.log.warn({ err }, 'voter session write failed'));
  return { id, status: raw === undefined ? 'new' : 'forged' };
}

/** Refreshes the voter's session on a vote; rides the same auto-pipelined write as the limiter. */
export async function touchSession(deps: Deps, voterId: string): Promise<void> {
  const key = sessionKey(deps, voterId);
  await deps.redis
    .multi()
    .hset(key, 'lastSeen', new Date().toISOString())
    .expire(key, SESSION_TTL_SEC)
    .exec();
}

/** Keyed hash: lets fraud rules compare IPs and user agents without storing them. */
export function hashFor(deps: Deps, value: string): string {
  return createHmac('sha256', deps.env.VOTER_COOKIE_SECRET)
    .update(value)
    .digest('base64url')
    .slice(0, 16);
}

function sessionKey(deps: Deps, voterId: string): string {
  return `${deps.env.REDIS_PREFIX}session:${voterId}`;
}
