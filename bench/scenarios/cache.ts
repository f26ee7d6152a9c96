import { apiStack } from '../lib/api-stack.ts';
import { type Sample, scrape } from '../lib/prom.ts';
import type { Scenario, ScenarioResult } from '../lib/types.ts';

/** Sums `cache_requests_total` by layer and result. */
function byLayer(samples: Sample[]): Map<string, { hit: number; total: number }> {
  const out = new Map<string, { hit: number; total: number }>();
  for (const s of samples) {
    const layer = s.labels.layer ?? 'unknown';
    const sum = out.get(layer) ?? { hit: 0, total: 0 };
    sum.total += s.value;
    if (s.labels.result === 'hit') sum.hit += s.value;
    out.set(layer, sum);
  }
  return out;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Cache hit rates by layer during the run: the api's `cache_requests_total{layer,cache,result}`
 * scraped when the shared api stack became ready and again now, after `vote` and
 * `rankingsRead`. A 'stale' answer (served while refreshing) is not counted as a hit.
 */
export const scenario: Scenario = {
  name: 'cache',
  describe: 'cache hit rate per layer over the vote and rankingsRead runs (api /metrics)',
  async run(ctx) {
    const api = await apiStack(ctx);
    const before = byLayer(api.cacheBefore);
    const after = byLayer(await scrape(api.metricsOrigin, 'cache_requests_total'));
    const result: ScenarioResult = {};
    let hits = 0;
    let lookups = 0;
    const layers: string[] = [];
    for (const [layer, now] of [...after].sort(([a], [b]) => a.localeCompare(b))) {
      const was = before.get(layer) ?? { hit: 0, total: 0 };
      const total = now.total - was.total;
      const hit = now.hit - was.hit;
      if (total <= 0) continue;
      layers.push(layer);
      result[`${layer}HitRate`] = round(hit / total);
      result[`${layer}Lookups`] = total;
      hits += hit;
      lookups += total;
    }
    if (lookups === 0) {
      throw new Error('no cache lookups on the api: run cache together with vote or rankingsRead');
    }
    return { ...result, overallHitRate: round(hits / lookups), lookups, layers: layers.join(',') };
  },
};
