import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { QUEUE_NAMES } from '@llmpt/shared';
import { createRedis, redisTargetOf } from '@llmpt/vote-store';
import { TRPCError } from '@trpc/server';
import { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { type Deps, createContext } from '../context.ts';
import { sameOrigin } from './csrf.ts';
import { authenticateAdmin } from './guard.ts';

export const QUEUES_BOARD_PATH = '/admin/queues';

/**
 * The board's own CSP: the site's, plus what its prebuilt UI needs: inline styles (its
 * loading screen's style attributes and `<style>`) and `<base href>` (base-uri 'self'). Its
 * scripts are files, and its config is a JSON `<script>` that CSP does not execute. It links
 * Google Fonts; that stays blocked (the UI falls back to local fonts).
 */
const BOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join(';');

/**
 * The worker's BullMQ queues at /admin/queues (@bull-board with its fastify adapter): queues,
 * schedulers, failed jobs, retry. Every request under the path (the page, its JSON API, its
 * static files) needs the admin session that the tRPC admin procedures need (the same guard),
 * answered 401 in plain text without one; a request that changes something (PUT, POST, DELETE:
 * retry, clean, pause) also needs a same-origin Origin. Never cached (`no-store`).
 */
export async function registerQueuesBoard(app: FastifyInstance, deps: Deps): Promise<void> {
  const connection = createRedis(redisTargetOf(deps.env), 'bullmq', deps.log);
  const queues = QUEUE_NAMES.map(
    // The worker owns the queues' metadata: the board only reads and acts on jobs.
    (name) => new Queue(name, { connection, prefix: deps.env.BULL_PREFIX, skipMetasUpdate: true }),
  );
  for (const q of queues) {
    q.on('error', (err) => deps.log.warn({ err: err.message, queue: q.name }, 'queue error'));
  }
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUES_BOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'LLM Popularity Tracker queues' } },
  });

  await app.register(async (scope) => {
    scope.addHook('onRequest', async (req, reply) => {
      reply.header('cache-control', 'no-store').header('content-security-policy', BOARD_CSP);
      const refusal = await refused(deps, req, reply);
      if (refusal) {
        return reply
          .status(refusal.status)
          .header('content-type', 'text/plain; charset=utf-8')
          .send(refusal.message);
      }
      return undefined;
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUES_BOARD_PATH });
  });
  app.addHook('onClose', async () => {
    // A queue still starting has commands queued on the connection (BullMQ's INFO version
    // check): the quit below would reject them with nobody listening (an api closed right after
    // it started did, under load). Let them finish first, for at most 2 s.
    await Promise.race([
      Promise.allSettled(queues.map((q) => q.waitUntilReady())),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    await Promise.allSettled(queues.map((q) => q.close()));
    await connection.quit().catch(() => undefined);
  });
}

/** Why a board request is refused (null: it may go on): the admin guard, then CSRF. */
async function refused(
  deps: Deps,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<{ status: number; message: string } | null> {
  const reads = req.method === 'GET' || req.method === 'HEAD';
  try {
    // The session check alone ('query'): the board's UI sends no CSRF header; its writes are
    // held to the Origin check below (and the cookie is SameSite=Strict).
    await authenticateAdmin(createContext(deps, req, reply), 'query');
  } catch (err) {
    if (err instanceof TRPCError && err.code === 'UNAUTHORIZED') {
      return { status: 401, message: 'Sign in as an admin' };
    }
    throw err;
  }
  if (!reads && !sameOrigin(req.headers, deps.env.ALLOWED_ORIGINS)) {
    return { status: 403, message: 'Cross-site request refused' };
  }
  return null;
}
