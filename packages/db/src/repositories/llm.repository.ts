import type { Llm, LlmCategory, LlmStatus } from '@llmpt/shared';
import { sql, type Kysely } from 'kysely';

import type { Database, LlmRow } from '../schema/index.ts';

export interface LlmFilters {
  category?: LlmCategory;
  /** Case-insensitive exact vendor name. */
  vendor?: string;
  openWeights?: boolean;
  /** Case-insensitive substring of name, vendor or family. */
  search?: string;
  /** Default 'active'; 'all' for the admin catalogue. */
  status?: LlmStatus | 'all';
}

/** A catalogue entry to create or overwrite; `status` applies to new rows only. */
export type LlmInput = Omit<Llm, 'status'> & { status?: LlmStatus };

const COLUMNS = [
  'id',
  'name',
  'vendor',
  'family',
  'release_date',
  'open_weights',
  'parameters_b',
  'context_window',
  'categories',
  'homepage',
  'status',
] as const;

function toLlm(row: Omit<LlmRow, 'created_at' | 'updated_at'>): Llm {
  return {
    id: row.id,
    name: row.name,
    vendor: row.vendor,
    family: row.family,
    releaseDate: row.release_date,
    openWeights: row.open_weights,
    parametersB: row.parameters_b,
    contextWindow: row.context_window,
    categories: row.categories,
    homepage: row.homepage,
    status: row.status,
  };
}

/** User text goes into ILIKE as a literal: its % and _ must not act as wildcards. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Catalogue entries matching every given filter, by name.
 * @see LlmListInput in @llmpt/shared for the API input this serves.
 */
export async function listLlms(db: Kysely<Database>, filters: LlmFilters = {}): Promise<Llm[]> {
  const { category, vendor, openWeights, search, status = 'active' } = filters;
  let query = db.selectFrom('llms').select(COLUMNS);
  if (status !== 'all') query = query.where('status', '=', status);
  // `@>` on the array column is what the GIN index serves.
  if (category) query = query.where(sql<boolean>`categories @> ARRAY[${category}]::text[]`);
  if (vendor) query = query.where(sql<boolean>`lower(vendor) = lower(${vendor})`);
  if (openWeights !== undefined) query = query.where('open_weights', '=', openWeights);
  const term = search?.trim();
  if (term) {
    const pattern = likePattern(term);
    query = query.where((eb) =>
      eb.or([
        eb('name', 'ilike', pattern),
        eb('vendor', 'ilike', pattern),
        eb('family', 'ilike', pattern),
      ]),
    );
  }
  const rows = await query.orderBy('name').orderBy('id').execute();
  return rows.map(toLlm);
}

/**
 * One model by id, whatever its status; undefined when unknown.
 * @see listLlms
 */
export async function getLlm(db: Kysely<Database>, id: string): Promise<Llm | undefined> {
  const row = await db.selectFrom('llms').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toLlm(row);
}

/**
 * Ids of the models with the given status (default 'active': the ones that accept votes).
 * @see listLlms
 */
export async function listLlmIds(
  db: Kysely<Database>,
  status: LlmStatus | 'all' = 'active',
): Promise<string[]> {
  let query = db.selectFrom('llms').select('id');
  if (status !== 'all') query = query.where('status', '=', status);
  const rows = await query.orderBy('id').execute();
  return rows.map((r) => r.id);
}

/**
 * Inserts or overwrites catalogue entries in one statement. Rows whose facts did not change are
 * not touched (updated_at stays), and an existing row keeps its status, so re-seeding never
 * un-hides a model an admin hid (change it with setLlmStatus).
 * @returns how many rows were inserted and how many actually changed.
 */
export async function upsertLlms(
  db: Kysely<Database>,
  llms: readonly LlmInput[],
): Promise<{ inserted: number; updated: number }> {
  if (llms.length === 0) return { inserted: 0, updated: 0 };
  const rows = await db
    .insertInto('llms')
    .values(
      llms.map((l) => ({
        id: l.id,
        name: l.name,
        vendor: l.vendor,
        family: l.family,
        release_date: l.releaseDate,
        open_weights: l.openWeights,
        parameters_b: l.parametersB,
        context_window: l.contextWindow,
        categories: l.categories,
        homepage: l.homepage,
        ...(l.status ? { status: l.status } : {}),
      })),
    )
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          vendor: eb.ref('excluded.vendor'),
          family: eb.ref('excluded.family'),
          release_date: eb.ref('excluded.release_date'),
          open_weights: eb.ref('excluded.open_weights'),
          parameters_b: eb.ref('excluded.parameters_b'),
          context_window: eb.ref('excluded.context_window'),
          categories: eb.ref('excluded.categories'),
          homepage: eb.ref('excluded.homepage'),
        }))
        .where(
          sql<boolean>`(llms.name, llms.vendor, llms.family, llms.release_date, llms.open_weights,
            llms.parameters_b, llms.context_window, llms.categories, llms.homepage)
          IS DISTINCT FROM (excluded.name, excluded.vendor, excluded.family, excluded.release_date,
            excluded.open_weights, excluded.parameters_b, excluded.context_window,
            excluded.categories, excluded.homepage)`,
        ),
    )
    // xmax = 0 only on a freshly inserted row version: tells inserts from updates.
    .returning(sql<boolean>`xmax = 0`.as('inserted'))
    .execute();
  const inserted = rows.filter((r) => r.inserted).length;
  return { inserted, updated: rows.length - inserted };
}

/**
 * Hides, retires or re-activates a model; false when the id is unknown.
 * @see upsertLlms, which never changes the status of an existing row.
 */
export async function setLlmStatus(
  db: Kysely<Database>,
  id: string,
  status: LlmStatus,
): Promise<boolean> {
  const result = await db
    .updateTable('llms')
    .set({ status })
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
