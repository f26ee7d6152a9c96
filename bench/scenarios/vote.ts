import { apiStack } from '../lib/api-stack.ts';
import { budgetOf } from '../lib/budget.ts';
import { figure, httpFigures, ratio } from '../lib/figures.ts';
import { assertFewErrors, runLoad } from '../lib/load.ts';
import { scrape } from '../lib/prom.ts';
import type { Scenario } from '../lib/types.ts';
import { signedVoters } from '../lib/voters.ts';

/**
 * `vote.cast` over HTTP through one real api process: random voters (signed cookies minted
 * through `vote.mine` beforehand) and random models and values, the stock single-call wire
 * format (the lean route). `batchRps`: the same through `?batch=1` (the stock adapter).
 * `ratioToNaive` is added by the naivePeer scenario, which runs next.
 */
export const scenario: Scenario = {
  name: 'vote',
  describe: 'vote.cast over HTTP, one api process (random voters, models, values)',
  async run(ctx) {
    const b = budgetOf(ctx.opts);
    const api = await apiStack(ctx);
    // Returning voters (signed cookies): the hot path every later vote of a browser takes.
    const cookies = signedVoters(api.stack.env.VOTER_COOKIE_SECRET!, b.voters);
    const load = (path: string, body: 'single' | 'batch', warmupSec: number, durationSec: number) =>
      runLoad(ctx.repoRoot, {
        origin: api.origin,
        workload: { kind: 'vote', path, models: api.models, cookies, body },
        connections: b.connections,
        warmupSec,
        durationSec,
        maxRequests: Math.ceil(durationSec * 200_000),
      });

    // The api's CPU per vote (warm-up included), from its own counters: unlike votes/s, it
    // barely moves with what else the machine is running.
    const cpuAndVotes = async () => {
      const [cpu, votes] = await Promise.all([
        scrape(api.metricsOrigin, 'process_cpu_seconds_total'),
        scrape(api.metricsOrigin, 'votes_total'),
      ]);
      return { cpu: cpu[0]?.value ?? NaN, votes: votes.reduce((n, s) => n + s.value, 0) };
    };
    const before = await cpuAndVotes();
    const single = await load('/trpc/vote.cast', 'single', b.warmupSec, b.durationSec);
    const after = await cpuAndVotes();
    assertFewErrors('vote', single);
    const votes = after.votes - before.votes;
    const apiCpuUsPerVote =
      votes > 0 ? Math.round(((after.cpu - before.cpu) * 1e6 * 10) / votes) / 10 : null;
    ctx.log(`vote: ${single.rps} req/s; now the ?batch=1 form`);
    // The process is warm by now: a short warm-up of the other code path is enough.
    const batchWarmup = Math.min(b.warmupSec, 1);
    // An extra figure: if it fails, the main one still stands and the failure is reported.
    const batch = await load('/trpc/vote.cast?batch=1', 'batch', batchWarmup, b.batchDurationSec)
      .then((r) => {
        assertFewErrors('?batch=1', r);
        return { batchRps: r.rps, batchP99Ms: r.p99Ms };
      })
      .catch((err: unknown) => ({ batchError: err instanceof Error ? err.message : String(err) }));

    const rps = single.rps;
    return {
      ...httpFigures(single),
      apiCpuUsPerVote,
      ratioToCeiling: ratio(rps, figure(ctx.results, 'ceiling', 'rps')),
      ratioToRawVote: ratio(rps, figure(ctx.results, 'rawVote', 'rps')),
      ratioToUngatedRawVote: ratio(rps, figure(ctx.results, 'rawVote', 'ungatedRps')),
      // Filled in by naivePeer, which runs next.
      ratioToNaive: null,
      ...batch,
      voters: cookies.length,
      models: api.models.length,
    };
  },
};
