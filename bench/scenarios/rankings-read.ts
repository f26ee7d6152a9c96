import { apiStack } from '../lib/api-stack.ts';
import { budgetOf } from '../lib/budget.ts';
import { figure, httpFigures, ratio } from '../lib/figures.ts';
import { assertFewErrors, runLoad } from '../lib/load.ts';
import type { Scenario } from '../lib/types.ts';

/** The leaderboard as the SPA reads it: `rankings.list` as a GET, served from the api's L1. */
export const scenario: Scenario = {
  name: 'rankingsRead',
  describe: 'rankings.list as GET, one api process (L1 rankings + catalogue)',
  async run(ctx) {
    const b = budgetOf(ctx.opts);
    const api = await apiStack(ctx);
    const path = `/trpc/rankings.list?input=${encodeURIComponent(JSON.stringify({ sort: 'score' }))}`;
    const sample = await (await fetch(`${api.origin}${path}`)).text();
    const rows = (JSON.parse(sample) as { result: { data: unknown[] } }).result.data.length;
    const r = await runLoad(ctx.repoRoot, {
      origin: api.origin,
      workload: { kind: 'get', path },
      connections: b.connections,
      warmupSec: b.warmupSec,
      durationSec: b.durationSec,
      maxRequests: b.maxRequests,
    });
    assertFewErrors('rankingsRead', r);
    return {
      ...httpFigures(r),
      ratioToCeiling: ratio(r.rps, figure(ctx.results, 'ceiling', 'rps')),
      rows,
      responseBytes: Buffer.byteLength(sample),
    };
  },
};
