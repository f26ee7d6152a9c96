import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { TRPCError, getErrorShape } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';

import type { Deps } from './context.ts';
import { registerHealthRoutes } from './http/health.ts';
import { registerTrpcRoute } from './http/trpc-route.ts';
import { appRouter } from './routers/index.ts';

/** Requests are small JSON; anything bigger is refused before parsing. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/** Builds the HTTP server (no listen): used by `index.ts` and by in-process tests. */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const trust = deps.env.TRUST_PROXY;
  const options: FastifyServerOptions = {
    logger: deps.env.LOG_LEVEL === 'silent' ? false : { level: deps.env.LOG_LEVEL },
    bodyLimit: BODY_LIMIT_BYTES,
    // A hop count trusts that many proxies in front of us (nginx: 1).
    trustProxy: typeof trust === 'number' ? (_addr: string, hop: number) => hop < trust : trust,
    // Per-request access logs belong to nginx; here they would cost CPU on the vote path.
    logController: new LogController({ disableRequestLogging: true }),
  };
  const app = Fastify(options);

  await app.register(fastifyCookie, { secret: deps.env.VOTER_COOKIE_SECRET });

  // Empty bodies are valid (a mutation without input); malformed JSON is a tRPC PARSE_ERROR.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (cause) {
      done(
        new TRPCError({
          code: 'PARSE_ERROR',
          message: 'The request body is not valid JSON',
          cause,
        }),
        undefined,
      );
    }
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (!req.url.startsWith('/trpc')) return reply.send(err);
    const error =
      err instanceof TRPCError
        ? err
        : new TRPCError({ code: codeForStatus(err.statusCode), message: err.message, cause: err });
    if (error.code === 'INTERNAL_SERVER_ERROR') req.log.error({ err }, 'request failed');
    const shape = getErrorShape({
      config: appRouter._def._config,
      error,
      type: 'unknown',
      path: (req.params as { path?: string } | undefined)?.path,
      input: undefined,
      ctx: undefined,
    });
    return reply.status(getHTTPStatusCodeFromError(error)).send({ error: shape });
  });

  registerHealthRoutes(app, deps);
  registerTrpcRoute(app, deps);

  const webDist = deps.env.WEB_DIST ? resolve(deps.env.WEB_DIST) : undefined;
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
