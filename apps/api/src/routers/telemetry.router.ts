import { RateLimiterMemory } from 'rate-limiter-flexible';
import { z } from 'zod';

import { appError } from '../errors.ts';
import { publicProcedure, router } from '../trpc.ts';

/** Clients report every ~30 s; a few per minute per IP is plenty, and it stays in-process. */
const reports = new RateLimiterMemory({ points: 6, duration: 60 });

export const telemetryRouter = router({
  /** The client's measured round trip, per transport: the seed's "client-side latency monitoring". */
  latency: publicProcedure
    .input(
      z.strictObject({
        rttMs: z.number().finite().min(0).max(120_000),
        transport: z.enum(['ws', 'sse', 'polling']),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      try {
        await reports.consume(ctx.ip);
      } catch {
        throw appError('RATE_LIMITED', 'Latency reports are limited to 6 per minute', 10);
      }
      ctx.deps.metrics.clientRtt.observe({ transport: input.transport }, input.rttMs / 1000);
      return { recorded: true };
    }),
});
