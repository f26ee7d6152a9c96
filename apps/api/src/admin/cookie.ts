import type { IncomingMessage } from 'node:http';

import fastifyCookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { Env } from '../env.ts';
import { secureCookies } from '../http/voter-cookie.ts';
import { ADMIN_COOKIE } from './session.ts';

/** The admin session cookie of one request, as the context exposes it. */
export interface AdminCookie {
  /** The token the request sent ('' when none). */
  sent: string;
  /** False over WebSocket: a socket cannot set or clear cookies. */
  writable: boolean;
  /** HttpOnly, SameSite=Strict, Path=/, Secure by the voter cookie's rule, for `maxAgeSec`. */
  set(token: string, maxAgeSec: number): void;
  clear(): void;
}

/** A separate cookie from the voter's (`vid`): a voter cookie is never an admin session. */
export function httpAdminCookie(env: Env, req: FastifyRequest, reply: FastifyReply): AdminCookie {
  const options = () => ({
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: secureCookies(env, req),
    path: '/',
  });
  return {
    sent: req.cookies[ADMIN_COOKIE] ?? '',
    writable: true,
    set: (token, maxAgeSec) => {
      reply.setCookie(ADMIN_COOKIE, token, { ...options(), maxAge: maxAgeSec });
    },
    clear: () => {
      reply.clearCookie(ADMIN_COOKIE, options());
    },
  };
}

/** Over WebSocket: the upgrade request's cookie, read only. */
export function wsAdminCookie(req: IncomingMessage): AdminCookie {
  return {
    sent: fastifyCookie.parse(req.headers.cookie ?? '')[ADMIN_COOKIE] ?? '',
    writable: false,
    set: () => undefined,
    clear: () => undefined,
  };
}
