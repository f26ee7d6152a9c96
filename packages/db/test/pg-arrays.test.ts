import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ArrayElement, pgArray } from '../src/repositories/pg-arrays.ts';
import { openTestDb, type TestDb } from './helpers.ts';

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb({ migrate: false });
});
afterAll(() => t.close());

const identity = (value: ArrayElement) => value;

/** The array Postgres reads from one parameter cast to `type`. */
async function roundTrip(parameter: unknown, type: string): Promise<unknown[]> {
  const { rows } = await sql<{ v: unknown[] }>`SELECT ${parameter}::${sql.raw(type)} AS v`.execute(
    t.db,
  );
  return rows[0]!.v;
}

/** pgArray's parameter reads back exactly as the values serialized by pg itself. */
async function expectSameAsPg(values: ArrayElement[], type: string): Promise<void> {
  const ours = await roundTrip(pgArray(values, identity), type);
  const pgs = await roundTrip(values, type);
  expect(ours).toEqual(pgs);
}

describe('pgArray', () => {
  it('builds the literal itself when every element can be written bare', () => {
    expect(pgArray(['a', 'm-01', 'x_y.z:1+2', null, undefined], identity)).toBe(
      '{a,m-01,x_y.z:1+2,NULL,NULL}',
    );
    expect(pgArray([1, -1, 0, 2147483647], identity)).toBe('{1,-1,0,2147483647}');
    expect(pgArray([true, false, null], identity)).toBe('{true,false,NULL}');
    expect(pgArray([], identity)).toBe('{}');
    expect(pgArray([{ id: 'v1' }, { id: 'v2' }], (item) => item.id)).toBe('{v1,v2}');
  });

  it('leaves to pg every element that would need quoting, and the word NULL', () => {
    for (const awkward of [
      '',
      'a b',
      'a,b',
      'a"b',
      'a\\b',
      '{a}',
      'NULL',
      'null',
      'Null',
      'é',
      '\n',
    ]) {
      expect(pgArray(['ok', awkward], identity)).toEqual(['ok', awkward]);
    }
    expect(pgArray([1, Number.NaN], identity)).toEqual([1, Number.NaN]);
    expect(pgArray([Number.POSITIVE_INFINITY], identity)).toEqual([Number.POSITIVE_INFINITY]);
  });

  it('reads back in Postgres as pg serializes the same values (text)', async () => {
    const awkward = [
      'plain',
      'with "quotes"',
      "it's",
      'back\\slash',
      'trailing\\',
      'a,b',
      '{braces}',
      '}',
      'two  spaces',
      ' lead',
      '',
      'NULL',
      'null',
      'nUlL',
      'NULLS',
      'ünïcødé ✓ 🗳',
      'tab\tnew\nline',
      null,
      'm-00',
    ];
    await expectSameAsPg(awkward, 'text[]');
    for (const value of awkward) await expectSameAsPg([value, 'm-01', null], 'text[]');
    const read = await roundTrip(pgArray(awkward, identity), 'text[]');
    expect(read).toEqual(awkward);
    // The bare path itself, through Postgres.
    const bare = ['v-1', 'm_00', 'a.b:c+d', null, 'NULLS', 'Nul'];
    expect(typeof pgArray(bare, identity)).toBe('string');
    expect(await roundTrip(pgArray(bare, identity), 'text[]')).toEqual(bare);
    await expectSameAsPg(bare, 'text[]');
  });

  it('reads back numbers, booleans and nulls as pg serializes them', async () => {
    await expectSameAsPg([-1, 0, 1, null], 'smallint[]');
    await expectSameAsPg([0, 2147483647, -2147483648], 'integer[]');
    await expectSameAsPg([null, 9007199254740991, 42], 'bigint[]');
    await expectSameAsPg([true, false, null], 'boolean[]');
    await expectSameAsPg([1.5, -0, 1e-7], 'float8[]');
    expect(await roundTrip(pgArray([-1, 0, 1, null], identity), 'smallint[]')).toEqual([
      -1,
      0,
      1,
      null,
    ]);
    expect(await roundTrip(pgArray([true, false, null], identity), 'boolean[]')).toEqual([
      true,
      false,
      null,
    ]);
  });

  it('reads back ISO timestamps as pg serializes them', async () => {
    const dates = [
      new Date('2026-12-03T00:56:17.123Z'),
      new Date(0),
      new Date('1999-12-31T23:59:59.999Z'),
      new Date('2100-02-28T12:00:00.500Z'),
    ];
    const iso = dates.map((d) => d.toISOString());
    expect(typeof pgArray(iso, identity)).toBe('string');
    await expectSameAsPg([...iso, null], 'timestamptz[]');
    const read = (await roundTrip(pgArray(iso, identity), 'timestamptz[]')) as Date[];
    expect(read.map((d) => d.toISOString())).toEqual(iso);
  });
});
