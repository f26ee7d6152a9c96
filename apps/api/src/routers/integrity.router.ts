import { removedVotes } from '@llmpt/db';
import type { IntegritySummary } from '@llmpt/shared';
import { z } from 'zod';

import { publicProcedure, router } from '../trpc.ts';

export const integrityRouter = router({
  /**
   * The public transparency figures (issue 13): votes currently removed by integrity flags
   * (open or confirmed), per model, and how many of them are still under review. Versioned by
   * the `integrity` config kind, which moves with every flag transition (worker) and review
   * (admin): each process reads Postgres once per version (the response cache, with the version
   * as ETag) and live pages hear the bump as a `config` message and read again.
   */
  summary: publicProcedure
    .meta({
      // Transparency figures a few seconds late are fine: the edge keeps them 5 s, then
      // revalidates with the ETag (a 304 until the next flag transition).
      edgeTtlSec: 5,
      cacheVersion: (deps) => `i${deps.config.versions.integrity}`,
    })
    // No input: anything sent is refused (400) rather than silently made a cache key.
    .input(z.undefined())
    .query(async ({ ctx }): Promise<IntegritySummary> => {
      // The version before the read: the answer is at least as new as the version it carries.
      const version = ctx.deps.config.versions.integrity;
      // From the primary: read once per version per process, and a replica a moment behind the
      // bump would pin an older answer under the new version until the next one.
      const removed = await removedVotes(ctx.deps.db);
      return { version, ...removed };
    }),
});
