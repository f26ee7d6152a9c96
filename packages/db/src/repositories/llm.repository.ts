import type { AdminLlm, Llm, LlmCategory, LlmStatus } from '@llmpt/shared';
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

// ── Admin writes (issue 12) ───────────────────────────────────────────────────────────────

/** The fields an admin sets: every one a voter sees. */
export type LlmRecordFields = Omit<AdminLlm, 'id' | 'createdAt' | 'updatedAt'>;

/**
 * Timestamps as Postgres holds them, to the microsecond (a JS Date keeps milliseconds): the
 * `updatedAt` an admin's form sends back must compare equal to the column (optimistic locking).
 */
const isoUs = (column: 'created_at' | 'updated_at') =>
  sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const RECORD_COLUMNS = [
  ...COLUMNS,
  isoUs('created_at').as('created_at'),
  isoUs('updated_at').as('updated_at'),
] as const;

function toRecord(
  row: Omit<LlmRow, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string },
): AdminLlm {
  return { ...toLlm(row), createdAt: row.created_at, updatedAt: row.updated_at };
}

function rowOf(f: LlmRecordFields) {
  return {
    name: f.name,
    vendor: f.vendor,
    family: f.family,
    release_date: f.releaseDate,
    open_weights: f.openWeights,
    parameters_b: f.parametersB,
    context_window: f.contextWindow,
    categories: f.categories as LlmCategory[],
    homepage: f.homepage,
    status: f.status,
  };
}

/**
 * Every catalogue entry whatever its status, with when it was created and last changed, by name.
 * Read it from the primary: an admin must see the change they just made.
 */
export async function listLlmRecords(db: Kysely<Database>): Promise<AdminLlm[]> {
  const rows = await db
    .selectFrom('llms')
    .select(RECORD_COLUMNS)
    .orderBy('name')
    .orderBy('id')
    .execute();
  return rows.map(toRecord);
}

/**
 * One entry with its timestamps; `forUpdate` locks the row until the transaction ends (the
 * change and its audit entry then describe the same `before`).
 */
export async function getLlmRecord(
  db: Kysely<Database>,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<AdminLlm | undefined> {
  let query = db.selectFrom('llms').select(RECORD_COLUMNS).where('id', '=', id);
  if (opts.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toRecord(row);
}

/** Adds a model; undefined when the id is taken (nothing written). */
export async function insertLlmRecord(
  db: Kysely<Database>,
  id: string,
  fields: LlmRecordFields,
): Promise<AdminLlm | undefined> {
  const row = await db
    .insertInto('llms')
    .values({ id, ...rowOf(fields) })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning(RECORD_COLUMNS)
    .executeTakeFirst();
  return row && toRecord(row);
}

/**
 * Overwrites every admin field of a model, only if it still has `expectedUpdatedAt` (optimistic
 * locking: a change made meanwhile is not overwritten); undefined when it does not (or the id is
 * unknown). The trigger sets the new updated_at.
 */
export async function updateLlmRecord(
  db: Kysely<Database>,
  id: string,
  fields: LlmRecordFields,
  expectedUpdatedAt: string,
): Promise<AdminLlm | undefined> {
  const row = await db
    .updateTable('llms')
    .set(rowOf(fields))
    .where('id', '=', id)
    .where('updated_at', '=', sql<Date>`${expectedUpdatedAt}::timestamptz`)
    .returning(RECORD_COLUMNS)
    .executeTakeFirst();
  return row && toRecord(row);
}

/** Sets a model's status; undefined when the id is unknown. */
export async function setLlmRecordStatus(
  db: Kysely<Database>,
  id: string,
  status: LlmStatus,
): Promise<AdminLlm | undefined> {
  const row = await db
    .updateTable('llms')
    .set({ status })
    .where('id', '=', id)
    .returning(RECORD_COLUMNS)
    .executeTakeFirst();
  return row && toRecord(row);
}
