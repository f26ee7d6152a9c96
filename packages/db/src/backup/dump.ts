import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

import type pg from 'pg';

import { copyOut, withPgClient } from '../repositories/pg-client.ts';
import {
  DUMP_MAGIC,
  type DumpHeader,
  type DumpTable,
  END_FRAME,
  FrameReader,
  frame,
} from './dump-format.ts';

export interface DumpOptions {
  databaseUrl: string;
  /** The dump's final path; it is written beside it under a temporary name, then renamed. */
  file: string;
  /**
   * Called with the exported snapshot id before any row is read, while the snapshot is held:
   * another connection can `SET TRANSACTION SNAPSHOT` to it and read exactly what the dump holds
   * (pg_dump's --snapshot, the other way round).
   */
  onSnapshot?: (snapshotId: string) => Promise<void>;
}

export interface DumpResult {
  file: string;
  bytes: number;
  header: DumpHeader;
  rows: Record<string, number>;
  durationMs: number;
}

/**
 * Dumps the application's tables (every table of schema public but Kysely's migration
 * bookkeeping; partitioned tables through their parent) in ONE repeatable-read, read-only
 * transaction, so the dump is one consistent snapshot while votes keep being flushed. The file
 * appears only complete (temporary name, then rename).
 * @see restoreDatabase for the way back.
 */
export async function dumpDatabase(opts: DumpOptions): Promise<DumpResult> {
  const started = Date.now();
  const tmp = `${opts.file}.tmp-${process.pid}`;
  try {
    const { header, rows } = await withPgClient(
      opts.databaseUrl,
      async (client) => {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        try {
          const [snap] = (
            await client.query<{
              id: string;
              taken_at: Date;
              snapshot: string;
              version: string;
              db: string;
            }>(
              `SELECT pg_export_snapshot() AS id, now() AS taken_at, pg_current_snapshot()::text AS snapshot,
                      current_setting('server_version') AS version, current_database() AS db`,
            )
          ).rows;
          if (!snap) throw new Error('no snapshot');
          await opts.onSnapshot?.(snap.id);
          const header: DumpHeader = {
            format: 'llmpt-dump',
            version: 1,
            takenAt: snap.taken_at.toISOString(),
            serverVersion: snap.version,
            database: snap.db,
            snapshot: snap.snapshot,
            migrations: await appliedMigrations(client),
            tables: await dumpableTables(client),
            partitions: (
              await client.query<{ name: string }>(
                `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = 'public.user_votes'::regclass AND c.relname ~ '^user_votes_p[0-9]{6}$'
                 ORDER BY 1`,
              )
            ).rows.map((r) => r.name),
          };
          const rows = await writeDump(client, header, tmp);
          await client.query('COMMIT');
          return { header, rows };
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
      },
      'llmpt-backup',
    );
    await rename(tmp, opts.file);
    return {
      file: opts.file,
      bytes: (await stat(opts.file)).size,
      header,
      rows,
      durationMs: Date.now() - started,
    };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function writeDump(
  client: pg.Client,
  header: DumpHeader,
  file: string,
): Promise<Record<string, number>> {
  const gzip = createGzip();
  const done = pipeline(gzip, createWriteStream(file, { flags: 'wx' }));
  const write = async (buf: Buffer) => {
    if (!gzip.write(buf)) await once(gzip, 'drain');
  };
  const rows: Record<string, number> = {};
  try {
    await write(Buffer.from(`${DUMP_MAGIC}\n${JSON.stringify(header)}\n`));
    for (const t of header.tables) {
      const stream = copyOut(
        client,
        copyStatement(client, t, 'TO STDOUT'),
      ) as NodeJS.ReadableStream & {
        rowCount?: number;
      };
      for await (const chunk of stream) await write(frame(chunk as Buffer));
      await write(END_FRAME);
      rows[t.name] = stream.rowCount ?? 0;
    }
    gzip.end();
    await done;
  } catch (err) {
    gzip.destroy(err as Error);
    await done.catch(() => {});
    throw err;
  }
  return rows;
}

/** `COPY (SELECT cols FROM t) TO STDOUT …` or `COPY t (cols) FROM STDIN …`, binary. */
export function copyStatement(
  client: pg.Client,
  t: DumpTable,
  direction: 'TO STDOUT' | 'FROM STDIN',
): string {
  const table = client.escapeIdentifier(t.name);
  const cols = t.columns.map((c) => client.escapeIdentifier(c)).join(', ');
  return direction === 'TO STDOUT'
    ? `COPY (SELECT ${cols} FROM ${table}) TO STDOUT WITH (FORMAT binary)`
    : `COPY ${table} (${cols}) FROM STDIN WITH (FORMAT binary)`;
}

async function appliedMigrations(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    'SELECT name FROM kysely_migration ORDER BY name',
  );
  return rows.map((r) => r.name);
}

/** Tables of schema public (partitions through their parent), referenced ones first. */
async function dumpableTables(client: pg.Client): Promise<DumpTable[]> {
  const { rows } = await client.query<{ name: string; columns: string[]; refs: string[] }>(
    `SELECT c.relname AS name,
            array(SELECT a.attname FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                  ORDER BY a.attnum)::text[] AS columns,
            array(SELECT DISTINCT r.relname FROM pg_constraint f JOIN pg_class r ON r.oid = f.confrelid
                  WHERE f.conrelid = c.oid AND f.contype = 'f' AND r.oid <> c.oid)::text[] AS refs
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND c.relname NOT IN ('kysely_migration', 'kysely_migration_lock')
     ORDER BY c.relname`,
  );
  // Topological order (Kahn): a table after every table it references.
  const ordered: DumpTable[] = [];
  const placed = new Set<string>();
  const names = new Set(rows.map((r) => r.name));
  while (ordered.length < rows.length) {
    const next = rows.find(
      (r) => !placed.has(r.name) && r.refs.every((ref) => placed.has(ref) || !names.has(ref)),
    );
    if (!next) throw new Error('foreign keys form a cycle; cannot order the dump');
    placed.add(next.name);
    ordered.push({ name: next.name, columns: next.columns });
  }
  return ordered;
}

/**
 * Reads a dump's header without touching any database: a bad or truncated file is refused
 * before anything changes.
 * @throws Error saying what is wrong with the file.
 */
export async function readDumpHeader(file: string): Promise<DumpHeader> {
  const input = createReadStream(file).pipe(createGunzip());
  try {
    return await readHeader(new FrameReader(input));
  } catch (err) {
    throw new Error(`${file}: ${describeReadError(err)}`);
  } finally {
    input.destroy();
  }
}

/**
 * Reads the whole dump (gzip's checksum included) and returns its header: a truncated or
 * corrupted file is found before a restore touches anything.
 */
export async function verifyDumpFile(file: string): Promise<DumpHeader> {
  const input = createReadStream(file).pipe(createGunzip());
  try {
    const reader = new FrameReader(input);
    const header = await readHeader(reader);
    for (let t = 0; t < header.tables.length; t++) {
      // Reading each frame is the check (framing, gzip); their bytes are not needed here.
      for await (const chunk of reader.frames()) void chunk;
    }
    if (!(await reader.atEnd())) throw new Error('unexpected bytes after the last table');
    return header;
  } catch (err) {
    throw new Error(`${file}: ${describeReadError(err)}`);
  } finally {
    input.destroy();
  }
}

export async function readHeader(reader: FrameReader): Promise<DumpHeader> {
  if ((await reader.line(64)) !== DUMP_MAGIC) throw new Error('not an llmpt dump (bad magic)');
  const header = JSON.parse(await reader.line(16 * 1024 * 1024)) as DumpHeader;
  if (header.format !== 'llmpt-dump' || header.version !== 1 || !Array.isArray(header.tables))
    throw new Error(`unsupported dump format ${JSON.stringify(header.format)} v${header.version}`);
  return header;
}

export function describeReadError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EISDIR') return 'is a directory';
  if (e.code === 'Z_DATA_ERROR') return 'not an llmpt dump (not gzip)';
  if (e.code === 'Z_BUF_ERROR') return 'the file ends early (truncated?)';
  return e.message;
}
