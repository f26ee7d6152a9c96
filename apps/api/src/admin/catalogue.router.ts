import {
  type Database,
  type Kysely,
  getLlmRecord,
  insertLlmRecord,
  listLlmRecords,
  setLlmRecordStatus,
  updateLlmRecord,
} from '@llmpt/db';
import {
  type AdminLlm,
  llmAdminCreateInputSchema,
  llmAdminIdInputSchema,
  llmAdminUpdateInputSchema,
} from '@llmpt/shared';
import { ensureTallies } from '@llmpt/vote-store';
import { TRPCError } from '@trpc/server';

import type { Deps } from '../context.ts';
import { adminProcedure, router } from '../trpc.ts';
import { announceChange } from './announce.ts';
import { type AuditContext, audit } from './audit.ts';

/** What the audit log keeps of a model: the fields voters see (not the timestamps). */
function visible(llm: AdminLlm): Omit<AdminLlm, 'createdAt' | 'updatedAt'> {
  return {
    id: llm.id,
    name: llm.name,
    vendor: llm.vendor,
    family: llm.family,
    releaseDate: llm.releaseDate,
    openWeights: llm.openWeights,
    parametersB: llm.parametersB,
    contextWindow: llm.contextWindow,
    categories: llm.categories,
    homepage: llm.homepage,
    status: llm.status,
  };
}

/**
 * One change: the row and its audit entry in one transaction (both or neither), then, once it
 * has committed, the announcement (`announce`).
 */
async function change(
  ctx: AuditContext & { deps: Deps },
  action: 'create' | 'update' | 'retire',
  id: string,
  write: (trx: Kysely<Database>) => Promise<{ before: AdminLlm | null; after: AdminLlm }>,
): Promise<AdminLlm> {
  const { before, after } = await ctx.deps.db.transaction().execute(async (trx) => {
    const result = await write(trx);
    await audit(
      ctx,
      {
        action: `catalogue.${action}`,
        targetType: 'llm',
        targetId: id,
        before: result.before && visible(result.before),
        after: visible(result.after),
      },
      trx,
    );
    return result;
  });
  if (before === null || before.updatedAt !== after.updatedAt) await announce(ctx.deps, after);
  return after;
}

/**
 * After the commit: an active model gets its Redis tally first (the vote script refuses a
 * model without one), then the catalogue version is bumped, which every api process (reload,
 * `config` message to its pages) and the worker's ranker hear within milliseconds. Should Redis
 * fail here the change stays committed, and is said so: every process's TTL reload (60 s) and
 * the worker's sync-redis job (tallies) pick it up.
 */
function announce(deps: Deps, llm: AdminLlm): Promise<void> {
  return announceChange(deps, 'catalogue', llm.id, async () => {
    if (llm.status === 'active') await ensureTallies(deps.voteStore, [llm.id]);
  });
}

const notFound = (id: string) =>
  new TRPCError({ code: 'NOT_FOUND', message: `No model with id "${id}"` });

/**
 * The catalogue as admins edit it: every status, every field a voter sees. Writes go to the
 * primary; a change reaches every api process, every open voter page and the ranker within a
 * second (see `announce`).
 */
export const adminCatalogueRouter = router({
  /** Every model, active or not, from the primary (an admin sees what they just changed). */
  list: adminProcedure.query(({ ctx }): Promise<AdminLlm[]> => listLlmRecords(ctx.deps.db)),

  create: adminProcedure
    .input(llmAdminCreateInputSchema)
    .mutation(({ ctx, input }): Promise<AdminLlm> => {
      const { id, ...fields } = input;
      return change(ctx, 'create', id, async (trx) => {
        const after = await insertLlmRecord(trx, id, fields);
        if (!after) {
          throw new TRPCError({
            code: 'CONFLICT',
            message: `A model with id "${id}" already exists: edit it, or pick another id`,
          });
        }
        return { before: null, after };
      });
    }),

  /** The whole record; refused (CONFLICT) when someone changed it since `expectedUpdatedAt`. */
  update: adminProcedure
    .input(llmAdminUpdateInputSchema)
    .mutation(({ ctx, input }): Promise<AdminLlm> => {
      const { id, expectedUpdatedAt, ...fields } = input;
      return change(ctx, 'update', id, async (trx) => {
        // Locked, so `before` is what this update replaces.
        const before = await getLlmRecord(trx, id, { forUpdate: true });
        if (!before) throw notFound(id);
        const after = await updateLlmRecord(trx, id, fields, expectedUpdatedAt);
        if (!after) {
          throw new TRPCError({
            code: 'CONFLICT',
            message: `"${before.name}" was changed by someone else at ${before.updatedAt}: reload it and apply your edit again`,
          });
        }
        return { before, after };
      });
    }),

  /** Takes a model off the site (votes refused, off the boards); its history is kept. */
  retire: adminProcedure.input(llmAdminIdInputSchema).mutation(({ ctx, input }) =>
    change(ctx, 'retire', input.id, async (trx) => {
      const before = await getLlmRecord(trx, input.id, { forUpdate: true });
      if (!before) throw notFound(input.id);
      // Already retired: nothing changes, but the admin's action is still recorded.
      if (before.status === 'retired') return { before, after: before };
      const after = await setLlmRecordStatus(trx, input.id, 'retired');
      if (!after) throw notFound(input.id);
      return { before, after };
    }),
  ),
});
