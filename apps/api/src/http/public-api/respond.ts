import { createHash } from 'node:crypto';

import type { PublicError } from '@llmpt/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodError } from 'zod';

/** Answers of the open data (REST and badges): anyone may read them, from any site. */
export const OPEN_DATA_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'ETag, Retry-After, Content-Disposition',
  // helmet's same-origin default would stop other sites from embedding a badge (<img>).
  'cross-origin-resource-policy': 'cross-origin',
} as const;

/** How long clients and the edge may keep an answer, by how fast its data changes. */
export const CACHE = {
  /** The live board, a model's live standing: the ranker publishes several times a second. */
  live: 'public, max-age=5',
  /** Hourly data (history, movers, the current hour's board): rolled every 5 minutes. */
  hourly: 'public, max-age=60',
  /** A finished hour's board, a day's dump: they no longer change. */
  past: 'public, max-age=86400',
  /** Badges (embedded in READMEs: a few minutes behind is fine). */
  badge: 'public, max-age=300',
  /** The list of dumps (one new day a day) and the OpenAPI document. */
  listing: 'public, max-age=300',
  /** Errors are never kept. */
  none: 'no-store',
} as const;

export interface Answer {
  status?: number;
  /** Content-Type. */
  type: string;
  body: string;
  cacheControl: string;
  /** An ETag known without hashing (a dump's stored SHA-256); else the body's hash. */
  etag?: string;
  headers?: Record<string, string>;
}

/** A strong ETag: the body's SHA-1 (not a secret, just a name for these bytes). */
export function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/**
 * True when If-None-Match names `etag` (weak comparison, RFC 9110: nginx turns a strong ETag
 * weak when it gzips, and clients send back what they got).
 */
export function notModified(req: FastifyRequest, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  const bare = etag.replace(/^W\//, '');
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t.replace(/^W\//, '') === bare);
}

/** Writes an answer with its ETag, Cache-Control and open-data headers, or a 304. */
export function send(req: FastifyRequest, reply: FastifyReply, answer: Answer): FastifyReply {
  const etag = answer.etag ?? etagOf(answer.body);
  reply
    .headers(OPEN_DATA_HEADERS)
    .headers(answer.headers ?? {})
    .header('etag', etag)
    .header('cache-control', answer.cacheControl);
  // No Vary: the api sends the same bytes whatever the Accept-Encoding (nginx gzips on the way
  // out and adds its own Vary), so nginx keeps one entry per URL, not one per header value.
  if (notModified(req, etag)) return reply.status(304).send();
  return reply
    .status(answer.status ?? 200)
    .type(answer.type)
    .send(answer.body);
}

/** An error the caller caused or should know of: JSON, never cached. */
export class PublicApiError extends Error {
  constructor(
    readonly status: 400 | 404 | 429,
    readonly body: PublicError,
    readonly retryAfterSec?: number,
  ) {
    super(body.error.message);
  }
}

export const badRequest = (message: string, issues?: PublicError['error']['issues']) =>
  new PublicApiError(400, { error: { code: 'BAD_REQUEST', message, issues } });

export const notFound = (message: string) =>
  new PublicApiError(404, { error: { code: 'NOT_FOUND', message } });

/** A 400 naming each refused parameter (zod's issues, flattened to path and message). */
export function invalidParams(err: ZodError): PublicApiError {
  const issues = err.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
  }));
  const what = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return badRequest(`Invalid parameters: ${what}`, issues);
}

/** Writes an error answer (JSON, no-store, with the open-data headers). */
export function sendError(reply: FastifyReply, err: PublicApiError): FastifyReply {
  reply.headers(OPEN_DATA_HEADERS).header('cache-control', CACHE.none);
  if (err.retryAfterSec !== undefined) reply.header('retry-after', String(err.retryAfterSec));
  return reply.status(err.status).type('application/json; charset=utf-8').send(err.body);
}
