import { Negotiator } from '@fastify/accept-negotiator';
import { TRPCError, callTRPCProcedure, getErrorShape, getTRPCErrorFromUnknown } from '@trpc/server';
import { fastifyRequestHandler } from '@trpc/server/adapters/fastify';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { type Deps, createContext } from '../context.ts';
import { appRouter } from '../routers/index.ts';
import { type Entry, ResponseCache } from './response-cache.ts';

/** Accept-Encoding negotiation (q-values, `*`, `identity;q=0`). No result cache: headers are user-controlled. */
const encodings = new Negotiator({ supportedValues: ['gzip', 'identity'] });

/** Public, shared by everyone; clients and nginx revalidate with the ETag (a 304 is cheap). */
const CACHEABLE = 'public, max-age=0, must-revalidate';

type TrpcRequest = FastifyRequest<{
  Params: { path: string };
  Querystring: Record<string, string | undefined>;
}>;

/**
 * tRPC at /trpc/:path. Single (non-batched) queries and mutations, the hot path, are served
 * here directly: the procedure runs through tRPC's own `callTRPCProcedure` (same middleware,
 * validation and errors) and the answer is written in tRPC's wire format, skipping the stock
 * adapter's per-request Web Request/Response conversion (~300 µs CPU, see DESIGN.md).
 * Batches and subscriptions (SSE) go to the stock fastify adapter, unchanged.
 */
export function registerTrpcRoute(app: FastifyInstance, deps: Deps): void {
  const config = appRouter._def._config;
  // At runtime `procedures` is flat: 'vote.cast' -> procedure.
  const procedures = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { type: string } } | undefined
  >;
  // Public queries whose answer depends only on the input and this version (see ResponseCache).
  const responseCache = new ResponseCache(deps.metrics);
  const versions: Record<string, (() => string | null) | undefined> = {
    'rankings.list': () => deps.rankings.version(),
    'llm.list': () => {
      const generation = deps.catalogue.version();
      return generation === null ? null : `c${generation}`;
    },
  };

  const handler = async (req: TrpcRequest, reply: FastifyReply) => {
    const path = req.params.path;
    const procedure = procedures[path];
    if (req.query.batch !== undefined || procedure?._def.type === 'subscription') {
      const stop = deps.metrics.requestDuration.startTimer({
        path,
        type: req.query.batch ? 'batch' : 'subscription',
      });
      await fastifyRequestHandler({
        router: appRouter,
        req,
        res: reply,
        path,
        createContext: ({ req: r, res }) => createContext(deps, r, res),
        onError: ({ error, path: p }) => logServerError(req, error, p),
      });
      const status = reply.statusCode;
      // A batch has one status for several calls: 207 when their outcomes differ.
      stop({ code: status < 300 ? 'OK' : status === 207 ? 'MIXED' : `HTTP_${status}` });
      return reply;
    }

    const type = req.method === 'GET' ? 'query' : 'mutation';
    const stopTimer = deps.metrics.requestDuration.startTimer({ path, type });
    const version = type === 'query' ? (versions[path]?.() ?? null) : null;
    // Only cacheable reads build a key: votes and other calls skip the cache entirely.
    const cacheKey = version === null ? '' : `${path}?${req.query.input ?? ''}`;
    if (version !== null) {
      const hit = responseCache.get(cacheKey, version);
      if (hit) {
        stopTimer({ code: 'OK' });
        return sendCached(req, reply, hit);
      }
    }
    let input: unknown;
    let ctx: ReturnType<typeof createContext> | undefined;
    try {
      if (!procedure) throw new TRPCError({ code: 'NOT_FOUND', message: `No procedure "${path}"` });
      if (procedure._def.type !== type) {
        throw new TRPCError({
          code: 'METHOD_NOT_SUPPORTED',
          message: `Unsupported ${req.method}-request to ${procedure._def.type} procedure at path "${path}"`,
        });
      }
      input = type === 'query' ? parseQueryInput(req.query.input) : req.body;
      ctx = createContext(deps, req, reply);
      const data: unknown = await callTRPCProcedure({
        router: appRouter,
        path,
        getRawInput: () => Promise.resolve(input),
        ctx,
        type,
        signal: undefined,
        batchIndex: 0,
      });
      stopTimer({ code: 'OK' });
      const body = JSON.stringify({ result: { data } });
      if (version === null) return reply.header('content-type', 'application/json').send(body);
      return sendCached(req, reply, responseCache.set(cacheKey, version, body));
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      stopTimer({ code: error.code });
      logServerError(req, error, path);
      const shape = getErrorShape({ config, error, type, path, input, ctx });
      const retryAfter = (shape.data as { retryAfterSec?: number | null }).retryAfterSec;
      if (retryAfter) reply.header('retry-after', String(retryAfter));
      return reply
        .status(getHTTPStatusCodeFromError(error))
        .header('content-type', 'application/json')
        .send(JSON.stringify({ error: shape }));
    }
  };

  app.route({ method: ['GET', 'POST'], url: '/trpc/:path', handler });
}

/**
 * A cacheable answer: 304 when the client already holds this version, else the body, gzipped
 * when the client accepts it (without nginx in front, in single-machine mode, nothing else
 * compresses it).
 */
function sendCached(req: FastifyRequest, reply: FastifyReply, entry: Entry) {
  reply
    .header('etag', entry.etag)
    .header('cache-control', CACHEABLE)
    .header('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === entry.etag) return reply.status(304).send();
  reply.header('content-type', 'application/json');
  const accepted = encodings.negotiate(req.headers['accept-encoding'] ?? 'identity');
  const gzip = accepted === 'gzip' ? entry.gzip() : null;
  if (gzip) return reply.header('content-encoding', 'gzip').send(gzip);
  return reply.send(entry.body);
}

function parseQueryInput(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (cause) {
    throw new TRPCError({
      code: 'PARSE_ERROR',
      message: 'The "input" query parameter is not valid JSON',
      cause,
    });
  }
}

function logServerError(req: FastifyRequest, error: TRPCError, path: string | undefined): void {
  if (error.code === 'INTERNAL_SERVER_ERROR')
    req.log.error({ err: error.cause ?? error, path }, 'tRPC procedure failed');
}
