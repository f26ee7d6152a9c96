import { existsSync, readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { resolve } from 'node:path';

import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { HSTS_HEADER, cspDirectives, inlineScriptHashes } from '@llmpt/shared/security-headers';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import helmet from 'helmet';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyHttpOptions,
} from 'fastify';

import { registerQueuesBoard } from './admin/queues-board.ts';
import type { Deps } from './context.ts';
import { cachedReads } from './http/cached-reads.ts';
import { registerHealthRoutes } from './http/health.ts';
import { registerPublicApi } from './http/public-api/index.ts';
import { parseJsonBody } from './http/json-body.ts';
import { registerTrpcRoute } from './http/trpc-route.ts';
import { voteFast } from './http/vote-fast.ts';
import { errorShape } from './trpc-wire.ts';

/** Requests are small JSON; anything bigger is refused before parsing. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/** Builds the HTTP server (no listen): used by `index.ts` and by in-process tests. */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const { env } = deps;
  const security = securityHeaders(env.WEB_DIST);
  const securityList = Object.entries(security).flat();
  const earlyAnswer = cachedReads(deps, securityList);
  // A plain POST of vote.cast is answered before fastify too (http/vote-fast.ts, EARLY_VOTES).
  const earlyVote =
    env.EARLY_VOTES === 'on' ? voteFast(deps, securityList, BODY_LIMIT_BYTES) : () => false;
  let closing = false;
  const options: FastifyHttpOptions<Server> = {
    loggerInstance: deps.log,
    bodyLimit: BODY_LIMIT_BYTES,
    // X-Forwarded-* only from the proxies TRUST_PROXY names, by address (the same rule as ws).
    trustProxy: deps.trustProxy,
    // Per-request access logs belong to nginx; here they would cost CPU on the vote path.
    logController: new LogController({ disableRequestLogging: true }),
    // A client that sends headers and part of a body, then stalls, is answered 408 and closed
    // instead of holding the connection: node checks every second, not its default 30 s.
    requestTimeout: env.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: env.KEEP_ALIVE_TIMEOUT_MS,
    // The server fastify would make from these options, except that a cached read's hit and a
    // plain vote are answered before fastify sees them (http/cached-reads.ts, vote-fast.ts);
    // while closing, fastify answers everything (its 503s).
    serverFactory: (handler) => {
      const server = createServer(
        {
          headersTimeout: Math.min(env.REQUEST_TIMEOUT_MS, 10_000),
          connectionsCheckingInterval: 1_000,
        },
        (req, res) => {
          if (closing || !(earlyAnswer(req, res) || earlyVote(req, res))) handler(req, res);
        },
      );
      server.keepAliveTimeout = env.KEEP_ALIVE_TIMEOUT_MS;
      server.requestTimeout = env.REQUEST_TIMEOUT_MS;
      return server;
    },
  };
  const app = Fastify(options);
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  await app.register(fastifyCookie, { secret: env.VOTER_COOKIE_SECRET });
  app.addHook('onRequest', (req, reply, done) => {
    reply.headers(security);
    if (req.protocol === 'https') reply.header('strict-transport-security', HSTS_HEADER);
    done();
  });

  // Empty bodies are valid (a mutation without input); malformed JSON is a tRPC PARSE_ERROR.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    let input: unknown;
    try {
      input = parseJsonBody(typeof body === 'string' ? body : body.toString('utf8'));
    } catch (err) {
      return done(err as TRPCError, undefined);
    }
    done(null, input);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (!req.url.startsWith('/trpc')) return reply.send(err);
    const error =
      err instanceof TRPCError
        ? err
        : new TRPCError({ code: codeForStatus(err.statusCode), message: err.message, cause: err });
    if (error.code === 'INTERNAL_SERVER_ERROR') req.log.error({ err }, 'request failed');
    const shape = errorShape({
      cause: error,
      type: 'unknown',
      path: (req.params as { path?: string } | undefined)?.path,
      input: undefined,
      ctx: undefined,
    });
    return reply.status(getHTTPStatusCodeFromError(error)).send({ error: shape });
  });

  registerHealthRoutes(app, deps);
  registerTrpcRoute(app, deps);
  // Open data (issue 15): /api/v1 (REST, OpenAPI) and /badge, read-only, CORS for any origin.
  await registerPublicApi(app, deps);
  await registerQueuesBoard(app, deps);

  const webDist = env.WEB_DIST ? resolve(env.WEB_DIST) : undefined;
  if (webDist && existsSync(resolve(webDist, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: webDist,
      wildcard: false,
      // Hashed assets are immutable; the HTML shell must be revalidated so a deploy shows at once.
      setHeaders: (res, path) => {
        const html = path.endsWith('.html');
        res.header('cache-control', html ? 'no-cache' : 'public, max-age=31536000, immutable');
      },
    });
    // Client-side routes fall back to the SPA shell; unknown API paths stay 404.
    app.setNotFoundHandler((req, reply) => {
      if (
        req.method === 'GET' &&
        !req.url.startsWith('/trpc') &&
        req.headers.accept?.includes('text/html')
      ) {
        return reply.header('cache-control', 'no-cache').sendFile('index.html');
      }
      return reply.status(404).send({ error: 'Not Found' });
    });
  }
  return app;
}

/**
 * The site's security headers on every response, as helmet makes them, from the one definition
 * nginx uses too (@llmpt/shared/security-headers): a CSP that allows the SPA shell's inline
 * theme script by its hash and nothing else inline, nosniff, frame-ancestors 'none', a referrer
 * policy; HSTS only on requests that came over TLS (added per request). None depends on the
 * request, so helmet runs ONCE, here, and every response gets the same headers: building its
 * middleware per request (as the fastify plugin does) cost ~5 % of the vote path's CPU, running
 * the built one per request ~2 % of the read path's.
 */
export function securityHeaders(webDist: string | undefined): Record<string, string> {
  const shell = webDist ? resolve(webDist, 'index.html') : null;
  const hashes = shell && existsSync(shell) ? inlineScriptHashes(readFileSync(shell, 'utf8')) : [];
  const middleware = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(hashes) },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    // Pinning a plain-HTTP deployment to HTTPS would lock its users out: only over TLS.
    strictTransportSecurity: false,
  });
  const headers: Record<string, string> = {};
  const collector = {
    setHeader: (name: string, value: unknown) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: () => undefined,
  };
  middleware({} as IncomingMessage, collector as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err instanceof Error ? err : new Error('helmet refused its options');
  });
  return headers;
}

function codeForStatus(status: number | undefined): TRPCError['code'] {
  switch (status) {
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 400:
      return 'BAD_REQUEST';
    default:
      return status && status >= 400 && status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
  }
}
