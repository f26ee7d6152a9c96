import { LLM_ID_PATTERN, llmSchema } from '@llmpt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { getLlm, listLlmIds, listLlms, setLlmStatus } from '../src/repositories/llm.repository.ts';
import { SEED_LLMS } from '../src/seed-data/llms.ts';
import { seedLlms } from '../src/seeder.ts';
import { openTestDb, type TestDb } from './helpers.ts';

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb();
});
afterAll(() => t.close());

describe('seed data', () => {
  it('has at least 60 valid models with unique ids', () => {
    expect(SEED_LLMS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(SEED_LLMS.map((l) => l.id)).size).toBe(SEED_LLMS.length);
    for (const llm of SEED_LLMS) {
      expect(() => llmSchema.parse({ ...llm, status: 'active' }), llm.id).not.toThrow();
      expect(llm.id).toMatch(LLM_ID_PATTERN);
      expect(llm.releaseDate, llm.id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(llm.categories.length, llm.id).toBeGreaterThan(0);
    }
  });
});

describe('seedLlms', () => {
  it('inserts the catalogue once, then changes nothing on a second run', async () => {
    const first = await seedLlms(t.db);
    expect(first).toEqual({
      models: SEED_LLMS.length,
      inserted: SEED_LLMS.length,
      updated: 0,
      // The llms insert trigger created the zero rows already.
      countsCreated: 0,
    });
    const before = await t.db.selectFrom('llms').selectAll().orderBy('id').execute();
    const countsBefore = await t.db
      .selectFrom('llm_vote_counts')
      .selectAll()
      .orderBy('llm_id')
      .execute();

    const second = await seedLlms(t.db);
    expect(second).toEqual({ models: SEED_LLMS.length, inserted: 0, updated: 0, countsCreated: 0 });
    expect(await t.db.selectFrom('llms').selectAll().orderBy('id').execute()).toEqual(before);
    expect(
      await t.db.selectFrom('llm_vote_counts').selectAll().orderBy('llm_id').execute(),
    ).toEqual(countsBefore);
    expect(countsBefore).toHaveLength(SEED_LLMS.length);
    expect(countsBefore.every((c) => c.upvotes === 0 && c.downvotes === 0)).toBe(true);
  });

  it('keeps a status set by an admin and reports changed facts as updates', async () => {
    expect(await setLlmStatus(t.db, 'gpt-4', 'hidden')).toBe(true);
    const edited = SEED_LLMS.map((l) => (l.id === 'gpt-4' ? { ...l, contextWindow: 32_768 } : l));
    expect(await seedLlms(t.db, edited)).toMatchObject({ inserted: 0, updated: 1 });
    expect(await getLlm(t.db, 'gpt-4')).toMatchObject({ status: 'hidden', contextWindow: 32_768 });

    await seedLlms(t.db);
    await setLlmStatus(t.db, 'gpt-4', 'active');
    expect(await getLlm(t.db, 'gpt-4')).toMatchObject({ status: 'active', contextWindow: 8_192 });
  });
});

describe('llm repository', () => {
  it('returns camelCase models with numbers and date strings', async () => {
    const llama = await getLlm(t.db, 'llama-3.1-405b');
    expect(llama).toEqual({
      id: 'llama-3.1-405b',
      name: 'Llama 3.1 405B',
      vendor: 'Meta',
      family: 'Llama 3.1',
      releaseDate: '2024-07-23',
      openWeights: true,
      parametersB: 405,
      contextWindow: 131_072,
      categories: ['chat', 'coding', 'reasoning'],
      homepage: 'https://huggingface.co/meta-llama/Llama-3.1-405B',
      status: 'active',
    });
    expect((await getLlm(t.db, 'mistral-7b'))?.parametersB).toBe(7.3);
    expect(await getLlm(t.db, 'no-such-model')).toBeUndefined();
  });

  it('filters by category, vendor (any case), open weights and search', async () => {
    const embedding = await listLlms(t.db, { category: 'embedding' });
    expect(embedding.map((l) => l.id).sort()).toEqual([
      'text-embedding-3-large',
      'text-embedding-3-small',
    ]);

    const anthropic = await listLlms(t.db, { vendor: 'anthropic' });
    expect(anthropic.length).toBeGreaterThanOrEqual(8);
    expect(anthropic.every((l) => l.vendor === 'Anthropic')).toBe(true);

    const openMeta = await listLlms(t.db, { vendor: 'Meta', openWeights: true });
    expect(openMeta.length).toBe(SEED_LLMS.filter((l) => l.vendor === 'Meta').length);
    const closedOpenAi = await listLlms(t.db, { vendor: 'OpenAI', openWeights: false });
    expect(closedOpenAi.map((l) => l.id)).not.toContain('gpt-oss-120b');
    expect(closedOpenAi.map((l) => l.id)).toContain('gpt-4o');

    // Name, vendor and family, case-insensitive; % and _ are literal.
    const qwen = await listLlms(t.db, { search: 'QWEN3' });
    expect(qwen.map((l) => l.id)).toContain('qwen3-coder-480b-a35b');
    expect(
      qwen.every((l) => `${l.name} ${l.vendor} ${l.family}`.toLowerCase().includes('qwen3')),
    ).toBe(true);
    expect((await listLlms(t.db, { search: 'mistral ai' })).length).toBe(
      SEED_LLMS.filter((l) => l.vendor === 'Mistral AI').length,
    );
    expect(await listLlms(t.db, { search: '%' })).toEqual([]);

    const combined = await listLlms(t.db, {
      category: 'coding',
      openWeights: true,
      search: 'deepseek',
    });
    expect(combined.map((l) => l.id).sort()).toEqual([
      'deepseek-coder-v2',
      'deepseek-r1',
      'deepseek-v3',
      'deepseek-v3.1',
    ]);
  });

  it('lists active models only unless asked', async () => {
    await setLlmStatus(t.db, 'claude-2', 'retired');
    expect((await listLlms(t.db)).map((l) => l.id)).not.toContain('claude-2');
    expect((await listLlms(t.db, { status: 'all' })).map((l) => l.id)).toContain('claude-2');
    expect((await listLlms(t.db, { status: 'retired' })).map((l) => l.id)).toEqual(['claude-2']);
    expect(await listLlmIds(t.db)).toHaveLength(SEED_LLMS.length - 1);
    expect(await listLlmIds(t.db, 'all')).toHaveLength(SEED_LLMS.length);
    expect(await setLlmStatus(t.db, 'no-such-model', 'hidden')).toBe(false);
  });
});
