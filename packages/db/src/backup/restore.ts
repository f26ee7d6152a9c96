import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

import { Migrator, sql } from 'kysely';
import type pg from 'pg';

import { createDb } from '../client.ts';
import { migrateToLatest } from '../migrator.ts';
import { migrationProvider, migrations } from '../migrations/index.ts';
import { ensureMonthlyPartitions } from '../repositories/maintenance.repository.ts';
import { analyzeUserVotes, partitionMonth } from '../repositories/partition.repository.ts';
import { copyIn, withPgClient } from '../repositories/pg-client.ts';
import { copyStatement, describeReadError, readHeader, verifyDumpFile } from './dump.ts';
import { FrameReader, type DumpHeader } from './dump-format.ts';

export interface RestoreOptions {
  file: string;
  /** The database to restore into; created when missing. */
  targetUrl: string;
  /** Drop what a non-empty target holds (schemas public and archive) instead of refusing. */
  force?: boolean;
  log?: (msg: string) => void;
}

export interface RestoreResult {
  header: DumpHeader;
  rows: Record<string, number>;
  created: boolean;
  durationMs: number;
}

/** A refusal that changed nothing (bad file, non-empty target, unknown migrations). */
export class RestoreRefused extends Error {}

/**
 * Restores a dump (dumpDatabase) into a fresh database: creates it if missing (refusing one
 * that holds tables unless `force`), migrates it to the dump's schema, creates the dump's
 * partitions, loads every table in ONE transaction with user triggers off (counts come from the
 * dump, not recomputed), applies the migrations the code has beyond the dump, refreshes the
 * materialized views and ANALYZEs. The file is checked before anything is touched.
 * @throws RestoreRefused when nothing was changed.
 */
export async function restoreDatabase(opts: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  let header: DumpHeader;
  try {
    header = await verifyDumpFile(opts.file);
  } catch (err) {
    throw new RestoreRefused((err as Error).message);
  }
  const known = Object.keys(migrations).sort();
  const unknown = header.migrations.filter((m) => !known.includes(m));
  if (unknown.length > 0)
    throw new RestoreRefused(
      `the dump has migrations this code does not know (${unknown.join(', ')}): restore with the version that wrote it`,
    );
  if (header.migrations.some((m, i) => known[i] !== m))
    throw new RestoreRefused('the dump was taken with a different set of earlier migrations');

  const target = new URL(opts.targetUrl);
  const dbName = decodeURIComponent(target.pathname.slice(1));
  if (!dbName) throw new RestoreRefused('the target URL names no database');
  const created = await prepareTarget(target, dbName, opts.force ?? false, log);

  const db = createDb(opts.targetUrl, { max: 1, applicationName: 'llmpt-restore' });
  try {
    const last = header.migrations.at(-1);
    if (last) {
      const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo(last);
      if (error) throw error instanceof Error ? error : new Error(JSON.stringify(error));
    }
    for (const name of header.partitions) {
      const month = partitionMonth(name);
      if (month) await ensureMonthlyPartitions(db, month, 0);
    }
    log(`schema at ${last ?? '(none)'}; loading ${header.tables.length} tables`);
    const rows = await loadTables(opts.file, opts.targetUrl);
    const later = await migrateToLatest(db);
    for (const r of later) log(`applied ${r.migrationName} (newer than the dump)`);
    const { rows: views } = await sql<{ name: string }>`
      SELECT matviewname AS name FROM pg_matviews WHERE schemaname = 'public'`.execute(db);
    for (const v of views) await sql`REFRESH MATERIALIZED VIEW ${sql.table(v.name)}`.execute(db);
    await analyzeUserVotes(db);
    await sql`ANALYZE`.execute(db);
    return { header, rows, created, durationMs: Date.now() - started };
  } finally {
    await db.destroy();
  }
}

/** Creates the database, or checks it is empty (or empties it with force). */
async function prepareTarget(
  target: URL,
  dbName: string,
  force: boolean,
  log: (msg: string) => void,
): Promise<boolean> {
  const admin = new URL(target);
  admin.pathname = '/postgres';
  const exists = await withPgClient(admin.toString(), async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      dbName,
    ]);
    if (rowCount) return true;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(dbName)}`);
    log(`created database ${dbName}`);
    return false;
  });
  if (!exists) return true;
  await withPgClient(target.toString(), async (client) => {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
         AND c.relkind IN ('r', 'p', 'v', 'm', 'S')`,
    );
    const relations = rows[0]?.n ?? 0;
    if (relations === 0) return;
    if (!force)
      throw new RestoreRefused(
        `database ${dbName} is not empty (${relations} tables, views or sequences): restore into a new database, or pass --force to replace its contents`,
      );
    log(`--force: dropping the contents of ${dbName}`);
    await client.query('DROP SCHEMA IF EXISTS archive CASCADE');
    await client.query('DROP SCHEMA public CASCADE');
    await client.query('CREATE SCHEMA public');
  });
  return false;
}

async function loadTables(file: string, targetUrl: string): Promise<Record<string, number>> {
  const input = createReadStream(file).pipe(createGunzip());
  const reader = new FrameReader(input);
  try {
    const header = await readHeader(reader);
    return await withPgClient(
      targetUrl,
      async (client) => {
        const rows: Record<string, number> = {};
        await client.query('BEGIN');
        try {
          // User triggers off for the load: the vote-count triggers (counts come from the dump)
          // and the audit log's append-only guard (this DELETE and the COPY are the restore).
          for (const t of header.tables)
            await client.query(
              `ALTER TABLE ${client.escapeIdentifier(t.name)} DISABLE TRIGGER USER`,
            );
          // Rows the migrations seeded (feature_flags' 'hide-results') give way to the dump's.
          // The tables were created just now, so this deletes a few rows at most; referencing
          // tables first (the header lists referenced tables first).
          for (const t of [...header.tables].reverse())
            await client.query(`DELETE FROM ${client.escapeIdentifier(t.name)}`);
          for (const t of header.tables) {
            const sink = copyIn(
              client,
              copyStatement(client, t, 'FROM STDIN'),
            ) as NodeJS.WritableStream & {
              rowCount?: number;
            };
            await pipeline(Readable.from(reader.frames()), sink);
            rows[t.name] = sink.rowCount ?? 0;
          }
          for (const t of header.tables)
            await client.query(
              `ALTER TABLE ${client.escapeIdentifier(t.name)} ENABLE TRIGGER USER`,
            );
          await continueSequences(
            client,
            header.tables.map((t) => t.name),
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
        return rows;
      },
      'llmpt-restore',
    );
  } catch (err) {
    throw new Error(`restoring ${file}: ${describeReadError(err)}`);
  } finally {
    input.destroy();
  }
}

/**
 * COPY writes serial columns' values without moving their sequences: each sequence owned by a
 * restored table's column continues after the largest restored value (admin_users.id,
 * admin_audit_log.id), so the next insert does not collide with a restored row.
 */
async function continueSequences(client: pg.Client, tables: string[]): Promise<void> {
  const { rows } = await client.query<{ tbl: string; col: string; seq: string }>(
    `SELECT c.relname AS tbl, a.attname AS col,
            pg_get_serial_sequence(quote_ident(c.relname), a.attname) AS seq
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])
       AND pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL`,
    [tables],
  );
  for (const r of rows) {
    await client.query(
      `SELECT setval($1, coalesce((SELECT max(${client.escapeIdentifier(r.col)}) FROM ${client.escapeIdentifier(r.tbl)}), 0) + 1, false)`,
      [r.seq],
    );
  }
}
