import type { FlagEvaluation } from '@llmpt/shared';

import { fingerprintOf, syncFingerprint, variantOfEvaluation } from '../flags/fingerprint.ts';
import { publicProcedure, router } from '../trpc.ts';

export const flagsRouter = router({
  /**
   * Every flag's value and variant for the calling voter, and the flags version they are at
   * (the page re-evaluates when a live `config` message names a newer one). Per voter: never
   * cached (no cacheVersion, no edgeTtlSec). A new visitor gets a voter cookie here, so their
   * variant holds from the first page on; an experiment flag counts one exposure per call. Sets
   * the caller's `llmpt_fv` fingerprint cookie (see ProcedureMeta.variant).
   */
  evaluate: publicProcedure.query(async ({ ctx }): Promise<FlagEvaluation> => {
    const voter = ctx.voter();
    if (voter.status === 'forged') ctx.dropVoterCookie();
    const evaluation = await ctx.deps.flags.evaluate(voter.id);
    syncFingerprint(ctx, fingerprintOf(ctx, variantOfEvaluation(evaluation.flags)));
    return evaluation;
  }),
});
