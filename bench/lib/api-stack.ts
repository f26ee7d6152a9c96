import { stopChild, track } from './children.ts';
import { type Sample, scrape } from './prom.ts';
import { deleteKeysWithPrefix } from './redis-keys.ts';
import { type BenchStack, firstBoardPublished, startBenchStack } from './stack.ts';
import type { BenchContext } from './types.ts';

/** One real api process shared by `vote`, `rankingsRead` and `cache` (whose hit rates span them). */
export interface ApiStack {
  stack: BenchStack;
  /** http://127.0.0.1:PORT of the api. */
  origin: string;
  /** http://127.0.0.1:PORT of the api's metrics listener (GET /metrics there). */
  metricsOrigin: string;
  /** Ids of the active catalogue, as `llm.list` returns them. */
  models: string[];
  /** `cache_requests_total` when the stack became ready, before any scenario used it. */
  cacheBefore: Sample[];
}

/** Scenarios that use the shared api stack, in run order. */
export const API_STACK_USERS = new Set(['vote', 'rankingsRead', 'cache']);

let shared: Promise<ApiStack> | null = null;

/**
 * The shared api stack, started on first use: a fresh database and key prefix, one worker and
 * one api. The worker rebuilds the vote partitions and the ranker publishes its first snapshot
 * (which the api keeps as its L1 rankings); then the worker is stopped, so the api under load
 * shares the 2 cores only with the load generator, like the ceiling and raw-vote servers. The
 * votes it acknowledges meanwhile wait in the outbox (the `flush` scenario measures draining).
 */
export function apiStack(ctx: BenchContext): Promise<ApiStack> {
  shared ??= start(ctx).catch((err: unknown) => {
    shared = null;
    throw err;
  });
  return shared;
}

async function start(ctx: BenchContext): Promise<ApiStack> {
  ctx.log('starting the api stack (database, 1 worker, 1 api)');
  const stack = await startBenchStack(ctx, { apis: 1, workers: 1 });
  for (const child of [...stack.apis, ...stack.workers]) track(child);
  try {
    const origin = stack.apiUrls[0]!;
    await firstBoardPublished(ctx.redisUrl, stack.prefix);
    for (const worker of stack.workers) await stopChild(worker);
    const list = (await (await fetch(`${origin}/trpc/llm.list`)).json()) as {
      result: { data: { id: string }[] };
    };
    const models = list.result.data.map((m) => m.id);
    if (models.length === 0) throw new Error('llm.list returned no models');
    const metricsOrigin = stack.apiMetricsUrls[0]!.replace(/\/metrics$/, '');
    const cacheBefore = await scrape(metricsOrigin, 'cache_requests_total');
    return { stack, origin, metricsOrigin, models, cacheBefore };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

/** Stops the shared api stack if it was started, and removes its Redis keys. */
export async function stopApiStack(ctx: BenchContext): Promise<void> {
  const current = shared;
  shared = null;
  const api = await current?.catch(() => null);
  if (!api) return;
  await api.stack.stop();
  await deleteKeysWithPrefix(ctx.redisUrl, api.stack.prefix);
}
