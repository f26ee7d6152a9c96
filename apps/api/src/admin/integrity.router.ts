import {
  type ReviewOutcome,
  confirmFlag,
  dismissFlag,
  getIntegrityFlag,
  listIntegrityFlags,
} from '@llmpt/db';
import {
  type IntegrityFlag,
  type IntegrityList,
  flagIdSchema,
  integrityConfirmInputSchema,
  integrityDismissInputSchema,
  integrityListInputSchema,
} from '@llmpt/shared';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';

import { adminProcedure, router } from '../trpc.ts';
import { announceChange } from './announce.ts';
import { audit } from './audit.ts';

/** What the audit log keeps of a review: the flag, its rule and votes, and the bans. */
function audited(flag: IntegrityFlag, outcome?: Pick<ReviewOutcome, 'voterIds' | 'networkHash'>) {
  return {
    status: flag.status,
    rule: flag.rule,
    votes: flag.votes,
    voters: flag.voters,
    ban: flag.ban,
    ...(outcome
      ? { bannedVoters: outcome.voterIds.length, bannedNetwork: outcome.networkHash !== null }
      : {}),
  };
}

/** The refusals of a review, in words an admin can act on. */
function refuse(
  result: 'not_found' | 'wrong_status',
  flagId: number,
  wanted: string,
  actual?: string,
): never {
  if (result === 'not_found') {
    throw new TRPCError({ code: 'NOT_FOUND', message: `No integrity flag #${flagId}` });
  }
  throw new TRPCError({
    code: 'CONFLICT',
    message: `Flag #${flagId} is ${actual ?? 'no longer in that state'}: only ${wanted} flags can be reviewed this way (reload the queue)`,
  });
}

export const adminIntegrityRouter = router({
  /** The review queue: flags by status, newest first, keyset-paged. From the primary (fresh). */
  list: adminProcedure
    .input(integrityListInputSchema)
    .query(({ ctx, input }): Promise<IntegrityList> => listIntegrityFlags(ctx.deps.db, input)),

  /** One flag with its evidence, per-model counts and bans. */
  get: adminProcedure
    .input(z.strictObject({ flagId: flagIdSchema }))
    .query(async ({ ctx, input }): Promise<IntegrityFlag> => {
      const flag = await getIntegrityFlag(ctx.deps.db, input.flagId);
      if (!flag) refuse('not_found', input.flagId, 'open');
      return flag;
    }),

  /**
   * Confirms an open flag: its ballots stay voided, and its voter ids and/or network are banned
   * for `hours`. The flag, the bans and the audit entry commit together; then Redis's copies
   * (bans, the status vote.mine reads) are written and the `integrity` version is bumped, so
   * every page re-reads the transparency figures and voters see "removed".
   */
  confirm: adminProcedure
    .input(integrityConfirmInputSchema)
    .mutation(async ({ ctx, input }): Promise<IntegrityFlag> => {
      const { deps } = ctx;
      const flagId = String(input.flagId);
      const until = new Date(Date.now() + input.hours * 3_600_000);
      const outcome = await deps.db.transaction().execute(async (trx) => {
        const before = await getIntegrityFlag(trx, flagId);
        const result = await confirmFlag(trx, {
          flagId,
          by: ctx.admin.username,
          banVoters: input.banVoters,
          banPrefix: input.banPrefix,
          until,
        });
        if (typeof result === 'string') refuse(result, input.flagId, 'open', before?.status);
        await audit(
          ctx,
          {
            action: 'integrity.confirm',
            targetType: 'integrity_flag',
            targetId: flagId,
            before: before ? audited(before) : null,
            after: audited(result.flag, result),
          },
          trx,
        );
        return result;
      });
      await announceChange(deps, 'integrity', `flag #${flagId}`, async () => {
        if (outcome.voterIds.length > 0 || outcome.networkHash) {
          await deps.integrity.ban(
            { voterIds: outcome.voterIds, networkHash: outcome.networkHash ?? undefined },
            until,
            flagId,
          );
        }
        await deps.integrity.setStatuses([{ flagId, status: 'confirmed' }]);
      });
      return outcome.flag;
    }),

  /**
   * Dismisses an open or confirmed flag: its bans are lifted and the worker puts its ballots
   * back ('restoring', then 'dismissed'). The flag, the lifted bans and the audit entry commit
   * together; then Redis's copies follow, the version is bumped, and the worker is asked to
   * restore at once (its periodic sweep would resume it anyway).
   */
  dismiss: adminProcedure
    .input(integrityDismissInputSchema)
    .mutation(async ({ ctx, input }): Promise<IntegrityFlag> => {
      const { deps } = ctx;
      const flagId = String(input.flagId);
      const outcome = await deps.db.transaction().execute(async (trx) => {
        const before = await getIntegrityFlag(trx, flagId);
        const result = await dismissFlag(trx, { flagId, by: ctx.admin.username });
        if (typeof result === 'string') {
          refuse(result, input.flagId, 'open or confirmed', before?.status);
        }
        await audit(
          ctx,
          {
            action: 'integrity.dismiss',
            targetType: 'integrity_flag',
            targetId: flagId,
            before: before ? audited(before) : null,
            after: audited(result.flag, result),
          },
          trx,
        );
        return result;
      });
      await announceChange(deps, 'integrity', `flag #${flagId}`, async () => {
        await deps.integrity.unban({
          voterIds: outcome.voterIds,
          networkHash: outcome.networkHash ?? undefined,
        });
        await deps.integrity.setStatuses([{ flagId, status: 'restoring' }]);
      });
      try {
        await deps.integrityJobs.apply(flagId);
      } catch (err) {
        // Only a nudge: the worker's sweep resumes the restore within its interval.
        deps.log.warn({ err, flagId }, 'integrity-apply job not added');
      }
      return outcome.flag;
    }),
});
