import { type FlagRecord, lockFlag, listFlags, updateFlag } from '@llmpt/db';
import { type ExperimentArm, type FlagView, flagUpdateInputSchema } from '@llmpt/shared';
import { TRPCError } from '@trpc/server';

import { experimentKey } from '../flags/service.ts';
import { adminProcedure, router } from '../trpc.ts';
import { announceChange } from './announce.ts';
import { audit } from './audit.ts';

/** What the audit log keeps of a flag: what an admin can change. */
const audited = (f: FlagRecord) => ({
  enabled: f.enabled,
  rolloutPercent: f.rolloutPercent,
  experiment: f.experiment,
});

function view(f: FlagRecord, arms: ExperimentArm[]): FlagView {
  return {
    key: f.key,
    description: f.description,
    enabled: f.enabled,
    rolloutPercent: f.rolloutPercent,
    experiment: f.experiment,
    updatedAt: f.updatedAt.toISOString(),
    updatedBy: f.updatedBy,
    arms,
  };
}

export const adminFlagsRouter = router({
  /** Every flag, with both arms of its experiment summed over all api processes (Redis). */
  list: adminProcedure.query(async ({ ctx }): Promise<FlagView[]> => {
    // The primary: an admin who just saved sees the change.
    const flags = await listFlags(ctx.deps.db);
    const arms = await ctx.deps.flags.arms(flags.map((f) => f.key));
    return flags.map((f) => view(f, arms.get(f.key) ?? []));
  }),

  /**
   * One flag's switch, rollout and experiment. Refused (CONFLICT, nothing changed) when the flag
   * changed since `expectedUpdatedAt`. The row and its audit entry commit together; then the
   * flags version is bumped and every process reloads within milliseconds. Turning an
   * experiment on from off starts it from zero: its counters are deleted (the counts they held
   * are kept in an audit entry of their own).
   */
  update: adminProcedure.input(flagUpdateInputSchema).mutation(async ({ ctx, input }) => {
    const { deps } = ctx;
    const after = await deps.db.transaction().execute(async (trx) => {
      const before = await lockFlag(trx, input.key);
      if (!before) {
        throw new TRPCError({ code: 'NOT_FOUND', message: `No flag "${input.key}"` });
      }
      // Clients hold updatedAt at millisecond precision (ISO); Postgres keeps microseconds.
      if (before.updatedAt.getTime() !== Date.parse(input.expectedUpdatedAt)) {
        throw new TRPCError({
          code: 'CONFLICT',
          message: `"${input.key}" was changed by ${before.updatedBy ?? 'someone'} since you opened it: reload and try again`,
        });
      }
      const updated = await updateFlag(trx, input.key, {
        enabled: input.enabled,
        rolloutPercent: input.rolloutPercent,
        experiment: input.experiment,
        updatedBy: ctx.admin.username,
      });
      const target = { targetType: 'flag', targetId: input.key };
      await audit(
        ctx,
        { action: 'flag.update', ...target, before: audited(before), after: audited(updated) },
        trx,
      );
      if (!before.experiment && updated.experiment) {
        const [arms = []] = (await deps.flags.arms([input.key])).values();
        await audit(
          ctx,
          { action: 'flag.experiment_reset', ...target, before: { arms }, after: { arms: [] } },
          trx,
        );
        // Before the commit: the old counts belong to an experiment that is off (nothing adds
        // to them), so losing them to a failed commit costs nothing, while counting the new
        // experiment on top of them would be wrong.
        await deps.redis.del(experimentKey(deps.env.REDIS_PREFIX, input.key));
      }
      return updated;
    });
    await announceChange(deps, 'flags', input.key);
    const arms = await deps.flags.arms([input.key]);
    return view(after, arms.get(input.key) ?? []);
  }),
});
