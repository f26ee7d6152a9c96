import { RateLimiterMemory } from 'rate-limiter-flexible';
import { z } from 'zod';

import { publicProcedure, router } from '../trpc.ts';

/**
 * A browser reports at most once a minute, whatever its number of tabs (they share one
 * schedule); 30 a minute per IP leaves room for a household or an office behind one address.
 * In-process: a lost report costs one sample of a histogram.
 */
const REPORTS_PER_MINUTE_PER_IP = 30;
const reports = new RateLimiterMemory({ points: REPORTS_PER_MINUTE_PER_IP, duration: 60 });

export const telemetryRouter = router({
  /**
   * The client's measured round trip, per transport: the seed's "client-side latency
   * monitoring". Over the limit the report is dropped and the answer says so (`recorded:
   * false`) with a 200: a 429 here would only print errors in the consoles of voters whose
   * tabs did nothing wrong, and nobody retries a latency sample.
   */
  latency: publicProcedure
    .input(
      z.strictObject({
        rttMs: z.number().finite().min(0).max(120_000),
        transport: z.enum(['ws', 'sse', 'polling']),
      }),
    )
    .mutation(async ({ ctx, input }): Promise<{ recorded: boolean }> => {
      const allowed = await reports.consume(ctx.ip).then(
        () => true,
        () => false,
      );
      if (!allowed) return { recorded: false };
      ctx.deps.metrics.clientRtt.observe({ transport: input.transport }, input.rttMs / 1000);
      return { recorded: true };
    }),
});
