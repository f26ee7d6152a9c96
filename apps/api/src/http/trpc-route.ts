import { TRPCError, getTRPCErrorFromUnknown } from '@trpc/server';
import { fastifyRequestHandler } from '@trpc/server/adapters/fastify';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { type Context, type Deps, createContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { fingerprintOf, syncFingerprint } from '../flags/fingerprint.ts';
import { appRouter } from '../routers/index.ts';
import {
  cacheVersionOf,
  callProcedure,
  edgeTtlOf,
  errorShape,
  httpResultBody,
  metricPath,
  procedureAt,
  variantOf,
  withVariant,
} from '../trpc-wire.ts';
import { CACHEABLE, encodings } from './cached-reads.ts';
import type { Entry } from './response-cache.ts';

type TrpcRequest = FastifyRequest<{
  Params: { path: string };
  Querystring: Record<string, string | undefined>;
}>;

/**
 * tRPC at /trpc/:path. Single (non-batched) queries and mutations, the hot path, are served
 * here directly: the procedure runs through tRPC's own `callTRPCProcedure` (same middleware,
 * validation and errors) and the answer is written in tRPC's wire format, skipping the stock
 * adapter's per-request Web Request/Response conversion (~300 µs CPU, see DESIGN.md).
 * Batches and subscriptions (SSE) go to the stock fastify adapter; a subscription whose input
 * or model is refused is answered 4xx before any stream starts.
 */
export function registerTrpcRoute(app: FastifyInstance, deps: Deps): void {
  const handler = async (req: TrpcRequest, reply: FastifyReply) => {
    const path = req.params.path;
    const procedure = procedureAt(path);
    const label = metricPath(path);
    const batch = req.query.batch !== undefined;
    if (batch || procedure?._def.type === 'subscription') {
      const stop = deps.metrics.requestDuration.startTimer({
        path: batch ? '(batch)' : label,
        type: batch ? 'batch' : 'subscription',
      });
      if (!batch && !(await subscriptionAccepted(deps, req, reply, path))) {
        stop({ code: `HTTP_${reply.statusCode}` });
        return reply;
      }
      await fastifyRequestHandler({
        router: appRouter,
        req,
        res: reply,
        path,
        createContext: ({ req: r, res }) => createContext(deps, r, res),
        onError: ({ error, path: p }) => logServerError(req, error, p),
        // A batch has one status for several calls; its 429s still say when to come back.
        responseMeta: ({ errors }) => {
          const wait = Math.max(0, ...errors.map(retryAfterOf));
          return wait > 0 ? { headers: { 'retry-after': String(wait) } } : {};
        },
      });
      const status = reply.statusCode;
      // A batch has one status for several calls: 207 when their outcomes differ.
      stop({ code: status < 300 ? 'OK' : status === 207 ? 'MIXED' : `HTTP_${status}` });
      return reply;
    }

    const type = req.method === 'GET' ? 'query' : 'mutation';
    const start = performance.now();
    const stopTimer = ({ code }: { code: string }) => {
      const seconds = (performance.now() - start) / 1000;
      if (code === 'OK') deps.metrics.series.requestOk[type](label).observe(seconds);
      else deps.metrics.requestDuration.observe({ path: label, type, code }, seconds);
    };
    let ctx: Context | undefined;
    const context = () => (ctx ??= createContext(deps, req, reply));
    let edgeTtl = type === 'query' ? edgeTtlOf(path) : null;
    // A read that depends on the caller's flags (ProcedureMeta.variant): kept at the edge only
    // when the caller's fingerprint cookie already names this variant, else the cookie is fixed.
    const variant = type === 'query' ? variantOf(path, context) : null;
    if (variant !== null && !syncFingerprint(context(), fingerprintOf(context(), variant)))
      edgeTtl = null;
    const base = type === 'query' ? cacheVersionOf(path, deps) : null;
    // Only cacheable reads build a key: votes and other calls skip the cache entirely.
    const { key: cacheKey, version } =
      base === null
        ? { key: '', version: null }
        : withVariant(`${path}?${req.query.input ?? ''}`, base, variant, deps);
    if (version !== null) {
      const hit = deps.responses.get(cacheKey, version);
      if (hit) {
        stopTimer({ code: 'OK' });
        return sendCached(req, reply, hit, edgeTtl);
      }
    }
    let input: unknown;
    try {
      input = type === 'query' ? parseQueryInput(req.query.input) : req.body;
      const call = () => callProcedure({ path, type, input, ctx: context() });
      if (version === null) {
        const body = httpResultBody(await call());
        stopTimer({ code: 'OK' });
        if (edgeTtl !== null) reply.header('x-accel-expires', String(edgeTtl));
        return reply.header('content-type', 'application/json').send(body);
      }
      const entry = await deps.responses.resolve(cacheKey, version, async () =>
        httpResultBody(await call()),
      );
      stopTimer({ code: 'OK' });
      return sendCached(req, reply, entry, edgeTtl);
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      stopTimer({ code: error.code });
      logServerError(req, error, path);
      return sendError(reply, errorShape({ cause: error, type, path, input, ctx }), error);
    }
  };

  app.route({ method: ['GET', 'POST'], url: '/trpc/:path', handler });
}

/**
 * Runs a subscription's checks (input, unknown model) before the stock adapter opens the stream:
 * what fails there is answered as a plain 4xx (tRPC's error shape) instead of a 200 stream that
 * carries the error as its first event. The procedure's generator is not started, so nothing
 * subscribes; the adapter then runs the procedure for real.
 */
async function subscriptionAccepted(
  deps: Deps,
  req: TrpcRequest,
  reply: FastifyReply,
  path: string,
): Promise<boolean> {
  let input: unknown;
  let ctx: Context | undefined;
  try {
    input = parseQueryInput(req.query.input);
    ctx = createContext(deps, req, reply);
    await callProcedure({ path, type: 'subscription', input, ctx });
    return true;
  } catch (cause) {
    const error = getTRPCErrorFromUnknown(cause);
    logServerError(req, error, path);
    sendError(reply, errorShape({ cause: error, type: 'subscription', path, input, ctx }), error);
    return false;
  }
}

function sendError(
  reply: FastifyReply,
  shape: ReturnType<typeof errorShape>,
  error: TRPCError,
): FastifyReply {
  const retryAfter = (shape.data as { retryAfterSec?: number | null }).retryAfterSec;
  if (retryAfter) reply.header('retry-after', String(retryAfter));
  return reply
    .status(getHTTPStatusCodeFromError(error))
    .header('content-type', 'application/json')
    .send(JSON.stringify({ error: shape }));
}

function retryAfterOf(error: TRPCError): number {
  return error.cause instanceof AppError ? (error.cause.retryAfterSec ?? 0) : 0;
}

/**
 * A cacheable answer: 304 when the client already holds this version, else the body, gzipped
 * when the client accepts it (without nginx in front, in single-machine mode, nothing else
 * compresses it).
 */
function sendCached(
  req: FastifyRequest,
  reply: FastifyReply,
  entry: Entry,
  edgeTtl: number | null,
) {
  if (edgeTtl !== null) reply.header('x-accel-expires', String(edgeTtl));
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
