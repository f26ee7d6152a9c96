import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { upsertLlms } from '../src/repositories/llm.repository.ts';
import { applyVoteEvents } from '../src/repositories/vote.repository.ts';
import { fixtureLlms, openTestDb, voteEvent, type TestDb } from './helpers.ts';

/**
 * The foreign key from votes to llms, replaced (issue 14) by one FOR KEY SHARE lock of the
 * batch's models in applyVoteEvents and the llms_keep_voted trigger: the same guarantees.
 */
let t: TestDb;
beforeAll(async () => {
  t = await openTestDb();
});
afterAll(() => t.close());

async function guardModels(name: string, n: number): Promise<string[]> {
  const llms = fixtureLlms(n).map((l, i) => ({ ...l, id: `${name}-${i}` }));
  await upsertLlms(t.db, llms);
  return llms.map((l) => l.id);
}

describe('a model with ballots', () => {
  it('keeps a model with ballots from being deleted or renamed, as the foreign key did', async () => {
    const [kept, spare] = await guardModels('guard', 2);
    await applyVoteEvents(t.db, [voteEvent('guard-voter', kept!, 1)]);
    await expect(t.db.deleteFrom('llms').where('id', '=', kept!).execute()).rejects.toMatchObject({
      code: '23503',
    });
    await expect(
      t.db
        .updateTable('llms')
        .set({ id: `${kept!}-renamed` })
        .where('id', '=', kept!)
        .execute(),
    ).rejects.toMatchObject({ code: '23503' });
    // Other columns change freely; a model without ballots goes.
    await t.db.updateTable('llms').set({ name: 'Renamed' }).where('id', '=', kept!).execute();
    await t.db.deleteFrom('llms').where('id', '=', spare!).execute();
    expect(await t.db.selectFrom('llms').select('id').where('id', '=', spare!).execute()).toEqual(
      [],
    );
  });

  it('holds the batch models locked until commit: a delete waits for the flush, then sees its ballots', async () => {
    const [model] = await guardModels('locked', 1);
    await t.db.transaction().execute(async (trx) => {
      await applyVoteEvents(trx, [voteEvent('lock-voter', model!, 1)]);
      // Another session cannot take the row while the flush holds its key share.
      await expect(
        t.db.connection().execute(async (conn) => {
          await sql`SET lock_timeout = '300ms'`.execute(conn);
          try {
            await conn.deleteFrom('llms').where('id', '=', model!).execute();
          } finally {
            await sql`RESET lock_timeout`.execute(conn);
          }
        }),
      ).rejects.toMatchObject({ code: '55P03' });
    });
    // Committed: the delete now finds the ballot and is refused.
    await expect(t.db.deleteFrom('llms').where('id', '=', model!).execute()).rejects.toMatchObject({
      code: '23503',
    });
  });
});
