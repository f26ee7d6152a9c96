import type { Overview } from '@llmpt/shared';
import { readOpsBuckets } from '@llmpt/vote-store';

import type { Deps } from '../../context.ts';
import { overviewPoints } from './overview-points.ts';

/** The overview's window, and its most points (an hour at the default 5 s step). */
const WINDOW_MS = 60 * 60_000;
const MAX_POINTS = 720;
/** Buckets read before the first point, for each process's previous sample (rate baselines). */
const LOOKBACK = 3;

/**
 * The admins' live overview: the steps of the last hour (at most 720), or only those ending
 * after `sinceMs` (the page polls for what is new), summed over every api and worker process
 * from the samples they write to Redis (one pipelined round trip). Only finished steps are
 * answered: a step still under way would lack the processes that sample later in it, and a
 * page that polls with `sinceMs` would never read it again.
 * @see overviewPoints
 * @see OpsSampler
 */
export async function readOverview(
  deps: Pick<Deps, 'redis' | 'env'>,
  sinceMs?: number,
  now = Date.now(),
): Promise<Overview> {
  const stepMs = deps.env.OPS_SAMPLE_MS;
  // Step b covers [b·step, (b+1)·step) and its point is stamped with its end.
  const lastBucket = Math.floor(now / stepMs) - 1;
  let fromBucket = Math.max(
    lastBucket - MAX_POINTS + 1,
    Math.floor((now - WINDOW_MS) / stepMs) + 1,
  );
  // The points with t = (b+1)·step > sinceMs.
  if (sinceMs !== undefined) fromBucket = Math.max(fromBucket, Math.floor(sinceMs / stepMs));
  // Nothing new yet (a poll within the step): still the last step's processes and leader, so a
  // polling page never sees them drop to none in between.
  const answerFrom = Math.min(fromBucket, lastBucket);
  const firstBucket = answerFrom - LOOKBACK;
  const buckets = await readOpsBuckets(
    deps.redis,
    deps.env.REDIS_PREFIX,
    stepMs,
    firstBucket,
    lastBucket,
  );
  const overview = overviewPoints({ stepMs, firstBucket, buckets, fromBucket: answerFrom });
  return answerFrom < fromBucket ? { ...overview, points: [] } : overview;
}
