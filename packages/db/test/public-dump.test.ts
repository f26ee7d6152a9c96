import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  existingPublicDumpDays,
  getPublicDump,
  listPublicDumps,
  upsertPublicDump,
} from '../src/repositories/public-dump.repository.ts';
import { openTestDb, type TestDb } from './helpers.ts';

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb();
});
afterAll(() => t.close());

const hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('public dumps', () => {
  it('stores a day with its SHA-256 and byte sizes; the same bodies again change nothing', async () => {
    const csv = 'hour,llm_id\n2026-12-01T00:00:00Z,é\n';
    const json = '{"rows":[]}';
    const first = await upsertPublicDump(t.db, { day: '2026-12-01', rows: 1, csv, json });
    expect(first).toEqual({ written: true, csvSha256: hex(csv), jsonSha256: hex(json) });
    const [listed] = await listPublicDumps(t.db, { limit: 10 });
    expect(listed).toMatchObject({
      day: '2026-12-01',
      rows: 1,
      csvBytes: Buffer.byteLength(csv),
      jsonBytes: json.length,
      csvSha256: hex(csv),
      jsonSha256: hex(json),
    });
    expect(listed!.csvBytes).toBe(csv.length + 1); // é is two bytes
    const again = await upsertPublicDump(t.db, { day: '2026-12-01', rows: 1, csv, json });
    expect(again.written).toBe(false);
    const [after] = await listPublicDumps(t.db, { limit: 10 });
    expect(after!.createdAt).toEqual(listed!.createdAt);

    expect(await getPublicDump(t.db, '2026-12-01', 'csv')).toEqual({
      body: csv,
      sha256: hex(csv),
      createdAt: listed!.createdAt,
    });
    expect((await getPublicDump(t.db, '2026-12-01', 'json'))?.body).toBe(json);
    expect(await getPublicDump(t.db, '2026-12-02', 'csv')).toBeNull();
  });

  it('replaces a day whose bodies changed, lists newest first, finds existing days', async () => {
    await upsertPublicDump(t.db, { day: '2026-11-30', rows: 0, csv: 'a\n', json: '[]' });
    const changed = await upsertPublicDump(t.db, {
      day: '2026-12-01',
      rows: 2,
      csv: 'b\n',
      json: '{}',
    });
    expect(changed.written).toBe(true);
    expect((await listPublicDumps(t.db, { limit: 10 })).map((d) => [d.day, d.rows])).toEqual([
      ['2026-12-01', 2],
      ['2026-11-30', 0],
    ]);
    expect((await listPublicDumps(t.db, { limit: 1 })).map((d) => d.day)).toEqual(['2026-12-01']);
    expect(await existingPublicDumpDays(t.db, ['2026-11-29', '2026-11-30'])).toEqual(
      new Set(['2026-11-30']),
    );
  });

  it('refuses a bad day, row count, format or limit and writes nothing', async () => {
    const before = await listPublicDumps(t.db, { limit: 100 });
    for (const day of ['2026-02-30', '2026-1-01', '2026-12-01T00:00:00Z', ''])
      await expect(upsertPublicDump(t.db, { day, rows: 0, csv: '', json: '' })).rejects.toThrow(
        /calendar day/,
      );
    await expect(
      upsertPublicDump(t.db, { day: '2026-12-05', rows: -1, csv: '', json: '' }),
    ).rejects.toThrow(/non-negative/);
    await expect(getPublicDump(t.db, '2026-12-01', 'xml' as 'csv')).rejects.toThrow(/format/);
    await expect(listPublicDumps(t.db, { limit: 0 })).rejects.toThrow(/limit/);
    expect(await listPublicDumps(t.db, { limit: 100 })).toEqual(before);
  });
});
