import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

import type { Deps } from '../../context.ts';
import { modelStanding } from '../../services/model-reads.ts';
import { modelBadge, unknownModelBadge } from './badge.ts';
import * as data from './data.ts';
import { openApiJson } from './openapi.ts';
import {
  type Answer,
  CACHE,
  OPEN_DATA_HEADERS,
  PublicApiError,
  notFound,
  send,
  sendError,
} from './respond.ts';

const SVG_TYPE = 'image/svg+xml; charset=utf-8';

/**
 * The open data: the public REST API (GET /api/v1/..., read-only, no key, documented at
 * /api/v1/openapi.json) and the embeddable badges (GET /badge/{id}.svg). Every request counts
 * against PUBLIC_API_RATE_LIMIT per client address and minute (rate-limiter-flexible on Redis,
 * shared by every api process; 429 with Retry-After past it); answers carry an ETag (304 on
 * If-None-Match), a Cache-Control nginx keeps them by, and CORS for any origin.
 * @see data.ts for what each endpoint answers
 */
export async function registerPublicApi(app: FastifyInstance, deps: Deps): Promise<void> {
  const limiter = new RateLimiterRedis({
    storeClient: deps.redis,
    keyPrefix: `${deps.env.REDIS_PREFIX}rl:public`,
    points: deps.env.PUBLIC_API_RATE_LIMIT,
    duration: 60,
  });

  const limit = async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      await limiter.consume(req.ip);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) {
        // Redis unavailable: the data is public and cached, so answer rather than fail.
        req.log.warn({ err }, 'public api rate limiter unavailable');
        return;
      }
      const retryAfterSec = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      return sendError(
        reply,
        new PublicApiError(
          429,
          {
            error: {
              code: 'RATE_LIMITED',
              message: `Too many requests: ${deps.env.PUBLIC_API_RATE_LIMIT} a minute per address; try again in ${retryAfterSec} s`,
              retryAfterSec,
            },
          },
          retryAfterSec,
        ),
      );
    }
  };

  /** Runs a handler: its answer, or its error as JSON (an unexpected one logged, 500). */
  const route =
    (answer: (req: FastifyRequest) => Promise<Answer>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        return send(req, reply, await answer(req));
      } catch (err) {
        if (err instanceof PublicApiError) return sendError(reply, err);
        req.log.error({ err }, 'public api request failed');
        return reply
          .headers(OPEN_DATA_HEADERS)
          .header('cache-control', CACHE.none)
          .status(500)
          .send({ error: { code: 'INTERNAL', message: 'Internal server error' } });
      }
    };

  type Params = Record<string, string>;
  await app.register((scope, _opts, done) => {
    scope.addHook('onRequest', limit);
    scope.get(
      '/api/v1/rankings',
      route((req) => data.rankings(deps, req.query)),
    );
    scope.get(
      '/api/v1/models/:id',
      route((req) => data.model(deps, req.params, req.query)),
    );
    scope.get(
      '/api/v1/models/:id/history',
      route((req) => data.history(deps, req.params, req.query)),
    );
    scope.get(
      '/api/v1/movers',
      route((req) => data.movers(deps, req.query)),
    );
    scope.get(
      '/api/v1/dumps',
      route((req) => data.dumps(deps, req.query)),
    );
    scope.get(
      '/api/v1/dumps/:file',
      route((req) => data.dump(deps, (req.params as Params).file ?? '', req.query)),
    );
    scope.get(
      '/api/v1/openapi.json',
      route(() =>
        Promise.resolve({
          type: 'application/json; charset=utf-8',
          body: openApiJson(),
          cacheControl: CACHE.listing,
        }),
      ),
    );
    // CORS preflight (a conditional GET's If-None-Match is not a "simple" header).
    scope.options('/api/v1/*', (_req, reply) =>
      reply
        .headers(OPEN_DATA_HEADERS)
        .header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
        .header('access-control-allow-headers', 'If-None-Match, If-Modified-Since')
        .header('access-control-max-age', '86400')
        .status(204)
        .send(),
    );
    scope.get(
      '/api/v1/*',
      route((req) =>
        Promise.reject(notFound(`No endpoint ${req.url.split('?')[0]}: see /api/v1/openapi.json`)),
      ),
    );

    scope.get('/badge/:file', async (req, reply) => {
      const file = (req.params as Params).file ?? '';
      const id = file.endsWith('.svg') ? file.slice(0, -4) : file;
      const llm = file.endsWith('.svg') ? await deps.catalogue.get(id) : undefined;
      const row = llm && (await modelStanding(deps, llm));
      if (!llm) {
        return send(req, reply, {
          status: 404,
          type: SVG_TYPE,
          body: unknownModelBadge(id),
          cacheControl: CACHE.hourly,
        });
      }
      const standing = row ?? { llm, rank: null, score: 0, provisional: false };
      return send(req, reply, {
        type: SVG_TYPE,
        body: modelBadge(standing, deps.env.RANK_MIN_VOTES),
        cacheControl: CACHE.badge,
      });
    });
    done();
  });
}
