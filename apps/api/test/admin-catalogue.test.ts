import {
  applyVoteEvents,
  existingLlmIds,
  insertLlmRecord,
  listAudit,
  listLlmRecords,
} from '@llmpt/db';
import type { AdminLlm, ConfigVersions, LiveMessage, Llm, RankingRow } from '@llmpt/shared';
import { OutboxReader, configKeys, ensureTallies, partitionOf } from '@llmpt/vote-store';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import type { AppRouter } from '../src/routers/index.ts';
import { AdminBrowser, makeAdmin } from './admin-client.ts';
import { type TestApi, Visitor, startTestApi } from './helpers.ts';

/** The product's promise: an admin's change shows on every process and open page within this. */
const WITHIN_MS = 1_000;

/** Two api processes of one deployment (one database, one Redis prefix). */
let a: TestApi;
let b: TestApi;
let admin: AdminBrowser;

beforeAll(async () => {
  a = await startTestApi();
  b = await startTestApi({}, { shareWith: a });
  await makeAdmin(a, 'catalogue-admin');
  admin = new AdminBrowser(a.baseUrl);
  expect((await admin.signIn('catalogue-admin')).status).toBe(200);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const fields = {
  name: 'Test Model 1',
  vendor: 'Acme AI',
  family: 'Acme',
  releaseDate: '2026-11-30',
  openWeights: true,
  parametersB: 12.5,
  contextWindow: 128_000,
  categories: ['chat', 'coding'],
  homepage: 'https://acme.example/model',
  status: 'active',
} as const;

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function get<T>(api: TestApi, path: string, input?: unknown) {
  const qs = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await fetch(`${api.baseUrl}/trpc/${path}${qs}`);
  const body = (await res.json()) as { result: { data: T } };
  return { etag: res.headers.get('etag'), data: body.result.data };
}

/** What a refused change must leave as it was: the rows, the audit log, the version. */
async function state(): Promise<string> {
  const audit = await listAudit(a.deps.db, { limit: 100 });
  const versions = await a.deps.config.refresh();
  return JSON.stringify({ rows: await listLlmRecords(a.deps.db), audit: audit.entries, versions });
}

function errorCode(r: { body: { error?: { data: { code: string } } } }) {
  return r.body.error?.data.code;
}

/** A voter page's live subscriptions on process B, over both transports. */
function openPages(api: TestApi) {
  const ws = createWSClient({
    url: `${api.baseUrl.replace('http', 'ws')}/trpc`,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
  const board: Array<{ id: string; data: LiveMessage }> = [];
  const model: Array<{ id: string; data: LiveMessage }> = [];
  const boardSub = trpc.rankings.live.subscribe({}, { onData: (d) => board.push(d) });
  const modelSub = trpc.llm.live.subscribe({ id: 'gpt-4o' }, { onData: (d) => model.push(d) });

  const sse: Array<{ id: string; data: LiveMessage }> = [];
  const ctrl = new AbortController();
  const reading = (async () => {
    const res = await fetch(`${api.baseUrl}/trpc/rankings.live`, {
      signal: ctrl.signal,
      headers: { accept: 'text/event-stream' },
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += new TextDecoder().decode(value);
      const blocks = text.split('\n\n');
      text = blocks.pop() ?? '';
      for (const block of blocks) {
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && data) sse.push({ id, data: JSON.parse(data) as LiveMessage });
      }
    }
  })().catch(() => undefined);
  return {
    board,
    model,
    sse,
    async close() {
      boardSub.unsubscribe();
      modelSub.unsubscribe();
      await ws.close();
      ctrl.abort();
      await reading;
    },
  };
}

const configs = (got: Array<{ data: LiveMessage }>): ConfigVersions[] =>
  got.flatMap((m) => (m.data.type === 'config' ? [m.data.config] : []));

describe('admin catalogue across api processes', () => {
  it('a model added on A is listed, ranked, announced live and votable on B at once', async () => {
    const pages = openPages(b);
    try {
      // Each subscription gets the versions right after its snapshot, tracked with its id.
      const before = a.deps.config.versions.catalogue;
      for (const got of [pages.board, pages.model, pages.sse]) {
        await until(
          () => Promise.resolve(got),
          (g) => configs(g).length > 0,
          'first config message',
          10_000,
        );
        expect(got[0]!.data.type).toBe('snapshot');
        expect(got[1]).toEqual({
          id: got[0]!.id,
          data: { type: 'config', config: b.deps.config.versions },
        });
        expect(b.deps.config.versions.catalogue).toBe(before);
      }
      const listed = await get<Llm[]>(b, 'llm.list');
      expect(listed.data.map((l) => l.id)).not.toContain('test-model-1');

      const created = await admin.call('admin.catalogue.create', 'mutation', {
        id: 'test-model-1',
        ...fields,
      });
      expect(created.status).toBe(200);
      const llm = created.body.result!.data as AdminLlm;
      expect(llm).toMatchObject({ id: 'test-model-1', ...fields, categories: ['chat', 'coding'] });
      expect(llm.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      const version = before + 1;
      expect(a.deps.config.versions.catalogue).toBe(version);

      // A page that heard of version N asks for it: B answers with it, waiting for its reload.
      const asked = await get<Llm[]>(b, 'llm.list', { catalogue: version });
      expect(asked.data.find((l) => l.id === 'test-model-1')).toMatchObject({
        name: 'Test Model 1',
      });
      const board = await get<RankingRow[]>(b, 'rankings.list', { catalogue: version });
      expect(board.data.find((r) => r.llm.id === 'test-model-1')).toMatchObject({
        rank: null,
        up: 0,
      });

      // Every open page on B hears it, over ws (board and model rooms) and SSE.
      for (const got of [pages.board, pages.model, pages.sse]) {
        const seen = await until(
          () => Promise.resolve(configs(got)),
          (c) => c.some((v) => v.catalogue === version),
          'config message on B',
          WITHIN_MS,
        );
        expect(seen.at(-1)).toMatchObject({ catalogue: version });
        // Tracked with the id of the message before it: a resume starts where it would have.
        const i = got.findIndex(
          (m) => m.data.type === 'config' && m.data.config.catalogue === version,
        );
        expect(got[i]!.id).toBe(got[i - 1]!.id);
      }
      // B's plain list (response cache) moves by itself: a new version, a new ETag.
      const plain = await until(
        () => get<Llm[]>(b, 'llm.list'),
        (r) => r.data.some((l) => l.id === 'test-model-1'),
        'B llm.list',
        WITHIN_MS,
      );
      expect(plain.etag).not.toBe(listed.etag);
      expect(plain.etag).toMatch(new RegExp(`^W/"c${version}\\.`));
      // Both processes name the same catalogue the same (ETags agree behind nginx).
      expect((await get<Llm[]>(a, 'llm.list')).etag).toBe(plain.etag);

      // Votable at once on B, and the vote reaches Postgres through the flush's code path.
      const voter = new Visitor(b.baseUrl).client();
      expect(await voter.vote.cast.mutate({ llmId: 'test-model-1', value: 1 })).toMatchObject({
        up: 1,
        down: 0,
      });
      const store = b.deps.voteStore;
      const partition = partitionOf('test-model-1', store.partitions);
      const reader = new OutboxReader(store, 'admin-catalogue-test');
      await reader.ensureGroup(partition);
      const batch = await reader.read(partition, { count: 100, claimIdleMs: 60_000 });
      const known = await existingLlmIds(a.deps.db, ['test-model-1']);
      expect(known.has('test-model-1')).toBe(true);
      await applyVoteEvents(a.deps.db, batch.events, { partition });
      await reader.ack(
        partition,
        batch.events.map((e) => e.streamId),
      );
      const counts = await a.deps.db
        .selectFrom('llm_vote_counts')
        .select(['upvotes', 'downvotes'])
        .where('llm_id', '=', 'test-model-1')
        .executeTakeFirst();
      expect(counts).toEqual({ upvotes: 1, downvotes: 0 });

      const audit = await listAudit(a.deps.db, { action: 'catalogue.create', limit: 10 });
      expect(audit.entries[0]).toMatchObject({
        actor: 'catalogue-admin',
        targetType: 'llm',
        targetId: 'test-model-1',
        before: null,
        after: { id: 'test-model-1', ...fields },
      });
    } finally {
      await pages.close();
    }
  });

  it('renames with optimistic locking: a stale form is refused and changes nothing', async () => {
    const records = await listLlmRecords(a.deps.db);
    const target = records.find((r) => r.id === 'gpt-4o')!;
    const { id, updatedAt, ...form } = target;
    const rest = { ...form, createdAt: undefined };
    const renamed = await admin.call('admin.catalogue.update', 'mutation', {
      id,
      ...rest,
      name: 'GPT-4o (renamed)',
      expectedUpdatedAt: updatedAt,
    });
    expect(renamed.status).toBe(200);
    const after = renamed.body.result!.data as AdminLlm;
    expect(after.name).toBe('GPT-4o (renamed)');
    expect(after.updatedAt).not.toBe(updatedAt);
    await until(
      () => get<Llm[]>(b, 'llm.list'),
      (r) => r.data.some((l) => l.id === id && l.name === 'GPT-4o (renamed)'),
      'the rename on B',
      WITHIN_MS,
    );

    // Someone else's form, opened before the rename: refused, nothing written.
    const unchanged = await state();
    const stale = await admin.call('admin.catalogue.update', 'mutation', {
      id,
      ...rest,
      name: 'Overwritten',
      expectedUpdatedAt: updatedAt,
    });
    expect(stale.status).toBe(409);
    expect(errorCode(stale)).toBe('CONFLICT');
    expect(await state()).toBe(unchanged);

    const audit = await listAudit(a.deps.db, {
      action: 'catalogue.update',
      targetId: id,
      limit: 10,
    });
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({
      before: { name: target.name },
      after: { name: 'GPT-4o (renamed)' },
    });
  });

  it('refuses invalid input and a taken id, changing nothing', async () => {
    const unchanged = await state();
    const bad: Array<[string, Record<string, unknown>]> = [
      ['bad id', { id: 'Not An Id!', ...fields }],
      ['empty name', { id: 'x-1', ...fields, name: '   ' }],
      ['unknown category', { id: 'x-2', ...fields, categories: ['cooking'] }],
      ['no category', { id: 'x-3', ...fields, categories: [] }],
      ['javascript: homepage', { id: 'x-4', ...fields, homepage: 'javascript:alert(1)' }],
      ['negative parameters', { id: 'x-5', ...fields, parametersB: -5 }],
      ['negative context', { id: 'x-6', ...fields, contextWindow: -1 }],
      ['bad date', { id: 'x-7', ...fields, releaseDate: '2026-13-45' }],
      ['unknown field', { id: 'x-8', ...fields, rank: 1 }],
    ];
    for (const [what, input] of bad) {
      const r = await admin.call('admin.catalogue.create', 'mutation', input);
      expect([what, r.status, errorCode(r)]).toEqual([what, 400, 'BAD_REQUEST']);
    }
    const current = (await listLlmRecords(a.deps.db)).find((r) => r.id === 'claude-3-opus')!;
    const update = await admin.call('admin.catalogue.update', 'mutation', {
      ...fields,
      id: current.id,
      homepage: 'javascript:alert(1)',
      expectedUpdatedAt: current.updatedAt,
    });
    expect([update.status, errorCode(update)]).toEqual([400, 'BAD_REQUEST']);
    const taken = await admin.call('admin.catalogue.create', 'mutation', {
      ...fields,
      id: 'gpt-4o',
    });
    expect([taken.status, errorCode(taken)]).toEqual([409, 'CONFLICT']);
    const unknown = await admin.call('admin.catalogue.retire', 'mutation', { id: 'no-such-model' });
    expect([unknown.status, errorCode(unknown)]).toEqual([404, 'NOT_FOUND']);
    expect(await state()).toBe(unchanged);

    // And nothing at all without an admin session.
    const voter = new AdminBrowser(b.baseUrl);
    const anonymous = await voter.call('admin.catalogue.create', 'mutation', {
      id: 'x-9',
      ...fields,
    });
    expect(anonymous.status).toBe(401);
    expect(await state()).toBe(unchanged);
  });

  it('a process that missed the announcement catches up when a page asks for the version', async () => {
    // A change committed and counted, but its announcement lost (a subscriber reconnecting).
    await insertLlmRecord(a.deps.db, 'test-model-2', {
      ...fields,
      categories: [...fields.categories],
      name: 'Test Model 2',
    });
    const keys = configKeys(a.deps.env.REDIS_PREFIX);
    const version = await a.deps.redis.incr(keys.version('catalogue'));
    expect(b.deps.catalogue.generation()).toBeLessThan(version);
    // B has not heard; the page that has asks for it, and B reads Redis and reloads to answer.
    const asked = await get<Llm[]>(b, 'llm.list', { catalogue: version });
    expect(asked.data.map((l) => l.id)).toContain('test-model-2');
    expect(b.deps.catalogue.generation()).toBe(version);
    // The next answer is named by the version B now holds.
    expect((await get<Llm[]>(b, 'llm.list', { catalogue: version })).etag).toMatch(
      new RegExp(`^W/"c${version}\\.`),
    );

    // A version nobody announced (from the future, or made up): answered with what B has.
    const future = await get<Llm[]>(b, 'llm.list', { catalogue: version + 1000 });
    expect(future.data.map((l) => l.id)).toContain('test-model-2');
    expect(b.deps.catalogue.generation()).toBe(version);
  });

  it('finds a model announced but not loaded yet (a vote between the change and the reload)', async () => {
    await insertLlmRecord(a.deps.db, 'test-model-3', {
      ...fields,
      categories: [...fields.categories],
      name: 'Test Model 3',
    });
    await ensureTallies(b.deps.voteStore, ['test-model-3']);
    await a.deps.config.bump('catalogue');
    // The bump is heard (reload under way, a Postgres round trip away): the lookup waits for it.
    expect(a.deps.catalogue.generation()).toBeLessThan(a.deps.config.versions.catalogue);
    expect(await a.deps.catalogue.get('test-model-3')).toMatchObject({ name: 'Test Model 3' });
    // An id no catalogue has is answered at once, as before.
    expect(await a.deps.catalogue.get('no-such-model')).toBeUndefined();
  });

  it('a resumed subscription gets the versions right after its replay', async () => {
    const lastEventId = b.deps.feed.id;
    const ws = createWSClient({
      url: `${b.baseUrl.replace('http', 'ws')}/trpc`,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    try {
      const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
      const got: Array<{ id: string; data: LiveMessage }> = [];
      const sub = trpc.rankings.live.subscribe({ lastEventId }, { onData: (d) => got.push(d) });
      await until(
        () => Promise.resolve(got),
        (g) => g.length > 0,
        'the replay',
        10_000,
      );
      sub.unsubscribe();
      // Nothing was missed: no snapshot, only the versions, tracked with the id resumed from.
      expect(got[0]).toEqual({
        id: lastEventId,
        data: { type: 'config', config: b.deps.config.versions },
      });
    } finally {
      await ws.close();
    }
    const res = await fetch(
      `${b.baseUrl}/trpc/rankings.live?input=${encodeURIComponent(JSON.stringify({ lastEventId }))}`,
      { headers: { accept: 'text/event-stream' } },
    );
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('"type":"config"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).not.toContain('"type":"snapshot"');
    expect(text).toContain(`id: ${lastEventId}\n`);
  });

  it('retires a model: off every process and refused for votes, kept for admins', async () => {
    const r = await admin.call('admin.catalogue.retire', 'mutation', { id: 'test-model-1' });
    expect(r.status).toBe(200);
    expect(r.body.result!.data).toMatchObject({ id: 'test-model-1', status: 'retired' });
    await until(
      () => get<Llm[]>(b, 'llm.list'),
      (l) => !l.data.some((m) => m.id === 'test-model-1'),
      'the retirement on B',
      WITHIN_MS,
    );
    const vote = await new Visitor(b.baseUrl).post(
      'vote.cast',
      JSON.stringify({ llmId: 'test-model-1', value: 1 }),
    );
    expect(vote.status).toBe(404);
    const list = await admin.call('admin.catalogue.list', 'query');
    expect(
      (list.body.result!.data as AdminLlm[]).find((m) => m.id === 'test-model-1'),
    ).toMatchObject({
      status: 'retired',
    });
    const audit = await listAudit(a.deps.db, { action: 'catalogue.retire', limit: 10 });
    expect(audit.entries[0]).toMatchObject({
      targetId: 'test-model-1',
      before: { status: 'active', name: 'Test Model 1' },
      after: { status: 'retired', name: 'Test Model 1' },
    });
  });
});
