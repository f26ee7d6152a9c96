import { budgetOf } from '../lib/budget.ts';
import { httpFigures } from '../lib/figures.ts';
import { assertFewErrors, runLoad } from '../lib/load.ts';
import { startServer } from '../lib/servers.ts';
import type { Scenario } from '../lib/types.ts';

/** The HTTP ceiling of one Node process here, by the same load generator as every scenario. */
export const scenario: Scenario = {
  name: 'ceiling',
  describe: 'bare node:http answering a 20-byte JSON',
  async run(ctx) {
    const b = budgetOf(ctx.opts);
    const server = await startServer(ctx, 'ceiling-server.ts', {});
    try {
      const r = await runLoad(ctx.repoRoot, {
        origin: server.url,
        workload: { kind: 'get', path: '/' },
        connections: b.connections,
        warmupSec: b.warmupSec,
        durationSec: b.durationSec,
        maxRequests: b.maxRequests,
      });
      assertFewErrors('ceiling', r);
      return httpFigures(r);
    } finally {
      await server.stop();
    }
  },
};
