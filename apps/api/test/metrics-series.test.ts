import { describe, expect, it } from 'vitest';

import { createMetrics } from '../src/metrics.ts';

/** The exposition of the series the vote path writes, without the process's default metrics. */
async function exposition(metrics: ReturnType<typeof createMetrics>): Promise<string> {
  const names = ['redis_script_duration_seconds', 'votes_total', 'trpc_request_duration_seconds'];
  const parts = await Promise.all(
    names.map((name) => metrics.registry.getSingleMetricAsString(name)),
  );
  return parts.join('\n');
}

describe('pre-resolved metric series', () => {
  it('expose exactly what prom-client itself records, also after a reset', async () => {
    const seconds = [0.0001, 0.0004, 0.003, 0.2, 7, 0.0004];
    const fast = createMetrics();
    const stock = createMetrics();
    const record = () => {
      for (const s of seconds) {
        fast.series.castVoteScript.observe(s);
        stock.redisScript.observe({ script: 'cast-vote' }, s);
        fast.series.requestOk.mutation('vote.cast').observe(s);
        stock.requestDuration.observe({ path: 'vote.cast', type: 'mutation', code: 'OK' }, s);
        fast.series.votes('changed').inc();
        stock.votes.inc({ result: 'changed' });
      }
      fast.series.votes('rate_limited').inc();
      stock.votes.inc({ result: 'rate_limited' });
    };
    record();
    // Observations through prom-client itself land in the same series.
    fast.redisScript.observe({ script: 'cast-vote' }, 0.01);
    stock.redisScript.observe({ script: 'cast-vote' }, 0.01);
    const once = await exposition(stock);
    expect(once).toContain('votes_total{result="changed"} 6');
    expect(once).toContain('redis_script_duration_seconds_count{script="cast-vote"} 7');
    expect(await exposition(fast)).toBe(once);

    fast.registry.resetMetrics();
    stock.registry.resetMetrics();
    record();
    expect(await exposition(fast)).toBe(await exposition(stock));
    expect(await exposition(fast)).toContain('votes_total{result="changed"} 6');
  });
});
