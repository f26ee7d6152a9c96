import { probeHostileSocket } from '../lib/hostile-socket.ts';
import { deleteKeysWithPrefix } from '../lib/redis-keys.ts';
import { startBenchStack } from '../lib/stack.ts';
import type { Scenario, ScenarioResult } from '../lib/types.ts';

/**
 * What ONE hostile WebSocket can make an api process send, with its default limits
 * (WS_MAX_SUBSCRIPTIONS, WS_MAX_CALLS_PER_MESSAGE, WS_MESSAGES_PER_SEC): the probe asks for
 * 2,000 `rankings.live` subscriptions and counts the bytes one vote then causes, then sends one
 * ~15 KB frame of 250 `rankings.list` calls and counts the answer while timing /healthz.
 * `allowed*`: the most a socket may hold within the limits (10 subscriptions), for one vote.
 * Measured before the limits (docs/benchmarks.md): 2,000 subscriptions started (17.4 MB of
 * snapshots, 571 KB for one vote), 8.8 MB answered to the one frame, /healthz up to ~1 s.
 * Its own stack (one api, one worker whose ranker turns the vote into a diff).
 */
export const scenario: Scenario = {
  name: 'wsAbuse',
  describe: 'bytes one hostile WebSocket can cause (2,000 subscriptions; 250 calls in a frame)',
  async run(ctx) {
    const stack = await startBenchStack(ctx, { apis: 1, workers: 1 });
    try {
      return await probe(ctx.opts.tiny, stack.apiUrls[0]!);
    } finally {
      await stack.stop();
      await deleteKeysWithPrefix(ctx.redisUrl, stack.prefix);
    }
  },
};

async function probe(tiny: boolean, origin: string): Promise<ScenarioResult> {
  const list = (await (await fetch(`${origin}/trpc/llm.list`)).json()) as {
    result: { data: { id: string }[] };
  };
  // The last model by name: its first upvote moves it past every other, the largest diff.
  const llmId = list.result.data.at(-1)!.id;
  let value: 1 | -1 = 1;
  const vote = async () => {
    const res = await fetch(`${origin}/trpc/vote.cast`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ llmId, value }),
    });
    value = value === 1 ? -1 : 1;
    if (!res.ok) throw new Error(`vote answered ${res.status}`);
  };
  const waitMs = tiny ? 1_000 : 3_000;
  const hostile = await probeHostileSocket({
    origin: origin,
    subscriptions: 2_000,
    callsInFrame: 250,
    vote,
    waitMs,
  });
  const allowed = await probeHostileSocket({
    origin: origin,
    subscriptions: 10,
    callsInFrame: 10,
    vote,
    waitMs,
  });
  return {
    subscriptionsStarted: hostile.subscriptionsStarted,
    bytesForSubscribing: hostile.bytesForSubscribing,
    bytesForOneVote: hostile.bytesForOneVote,
    frameBytes: hostile.frameBytes,
    bytesForOneFrame: hostile.bytesForOneFrame,
    healthzWorstMs: hostile.healthzWorstMs,
    closes: hostile.closes,
    allowedSubscriptions: allowed.subscriptionsStarted,
    allowedBytesForSubscribing: allowed.bytesForSubscribing,
    allowedBytesForOneVote: allowed.bytesForOneVote,
    allowedBytesForTenCalls: allowed.bytesForOneFrame,
  };
}
