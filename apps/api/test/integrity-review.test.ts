import {
  finishTransition,
  getIntegrityFlag,
  listAudit,
  markVotes,
  raiseFlag,
  votesOfFlag,
} from '@llmpt/db';
import {
  type IntegrityFlag,
  type IntegrityList,
  type IntegritySummary,
  type LiveMessage,
  QUEUE_MAINTENANCE,
} from '@llmpt/shared';
import { createRedis, redisTargetOf } from '@llmpt/vote-store';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { INTEGRITY_APPLY_JOB } from '../src/admin/integrity-jobs.ts';
import { AdminBrowser, type Answer } from './admin-client.ts';
import { signedInAdmin } from './flags-admin.ts';
import { type TestApi, Visitor, startTestApi, voteState } from './helpers.ts';

const NET = '203.0.113.0';

let api: TestApi;
let admin: AdminBrowser;
let queue: Queue;
let queueRedis: ReturnType<typeof createRedis>;

beforeAll(async () => {
  api = await startTestApi({
    TRUST_PROXY: '127.0.0.1',
    // This test's own BullMQ keys: it reads the maintenance queue the api adds to.
    BULL_PREFIX: `{bull-it-${Math.random().toString(36).slice(2, 10)}}`,
  });
  admin = await signedInAdmin(api, 'integrity-admin');
  queueRedis = createRedis(redisTargetOf(api.deps.env), 'bullmq', api.deps.log);
  queue = new Queue(QUEUE_MAINTENANCE, {
    connection: queueRedis,
    prefix: api.deps.env.BULL_PREFIX,
  });
});
afterAll(async () => {
  await queue?.obliterate({ force: true });
  await queue?.close();
  await queueRedis?.quit();
  await api?.close();
});

/** A voter at an address of the attacked network. */
class Voter extends Visitor {
  constructor(readonly ip: string) {
    super(api.baseUrl);
  }

  async vote(llmId: string, value: 1 | -1 | 0): Promise<number> {
    const res = await this.post('vote.cast', JSON.stringify({ llmId, value }), {
      'content-type': 'application/json',
      'x-forwarded-for': this.ip,
    });
    return res.status;
  }

  async mine(): Promise<Record<string, { value: number; status: string }>> {
    const res = await this.fetch(`${api.baseUrl}/trpc/vote.mine`, {
      headers: { 'x-forwarded-for': this.ip },
    });
    return ((await res.json()) as { result: { data: Record<string, never> } }).result.data;
  }

  get id(): string {
    return decodeURIComponent(this.cookies.get('vid') ?? '').split('.')[0]!;
  }
}

/**
 * A flag as the worker leaves it after a sweep: raised on real ballots, each voided through the
 * vote store, marked, and moved to 'open' (the worker's transition, done here step by step).
 */
async function openFlag(voters: Voter[], llmId: string, subject: string): Promise<string> {
  const now = new Date();
  const raised = await raiseFlag(api.deps.db, {
    rule: 'prefix-new-voters',
    subject,
    explanation: `${voters.length} new voter ids from one /24 upvoted one model within 60 s`,
    evidence: {
      windowSec: 600,
      counts: { newVoters: voters.length },
      thresholds: { newVoters: 1 },
      prefixHash: api.deps.networkHash(voters[0]!.ip),
      llmId,
      direction: 1,
      firstVoteAt: now.toISOString(),
      lastVoteAt: now.toISOString(),
    },
    votes: voters.map((v) => ({ voterId: v.id, llmId, value: 1 as const, votedAt: now })),
  });
  const flagId = raised!.flagId;
  const held = await votesOfFlag(api.deps.db, flagId, 'held');
  for (const v of held) await api.deps.voteStore.voidBallot(v.voterId, v.llmId, 'void', flagId);
  await markVotes(api.deps.db, flagId, held, 'held', 'voided');
  expect(await finishTransition(api.deps.db, flagId, 'voiding', 'open')).toBe(true);
  await api.deps.integrity.setStatuses([{ flagId, status: 'open' }]);
  await api.deps.config.bump('integrity');
  return flagId;
}

async function summary(): Promise<{ data: IntegritySummary; etag: string | null }> {
  const res = await fetch(`${api.baseUrl}/trpc/integrity.summary`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { result: { data: IntegritySummary } };
  return { data: body.result.data, etag: res.headers.get('etag') };
}

/** What a refused review must leave as it was: flags, audit log, Redis, versions. */
async function state(): Promise<string> {
  const flags = await api.deps.db.selectFrom('integrity_flags').selectAll().orderBy('id').execute();
  const votes = await api.deps.db
    .selectFrom('integrity_flag_votes')
    .selectAll()
    .orderBy(['flag_id', 'voter_id', 'llm_id'])
    .execute();
  const audit = await listAudit(api.deps.db, { limit: 100 });
  const keys = (await api.deps.redis.keys(`${api.deps.env.REDIS_PREFIX}*`)).sort();
  const jobs = await queue.getJobCounts();
  return JSON.stringify({
    flags,
    votes,
    audit: audit.entries.filter((e) => e.action.startsWith('integrity.')),
    keys: keys.filter((k) => !k.includes('admin:session')),
    versions: await api.deps.config.refresh(),
    tallies: await voteState(api.deps),
    jobs,
  });
}

const code = (r: Answer) => r.body.error?.data.code;
const message = (r: Answer) => (r.body.error as { message?: string } | undefined)?.message ?? '';

describe('integrity review (admin.integrity.*) and the public summary', () => {
  let voters: Voter[];
  let llmId: string;
  let flagId: string;

  beforeAll(async () => {
    const llms = await api.deps.catalogue.all();
    llmId = llms[0]!.id;
    voters = Array.from({ length: 3 }, (_, i) => new Voter(`${NET.slice(0, -1)}${10 + i}`));
    for (const v of voters) expect(await v.vote(llmId, 1)).toBe(200);
    // An honest voter elsewhere, on the same model.
    expect(await new Voter('192.0.2.1').vote(llmId, 1)).toBe(200);
  });

  it('summary: nothing removed yet, cacheable with an ETag, no input accepted', async () => {
    const first = await summary();
    expect(first.data).toEqual({
      version: api.deps.config.versions.integrity,
      removedTotal: 0,
      removedByModel: {},
      underReview: 0,
    });
    expect(first.etag).toBeTruthy();
    const again = await fetch(`${api.baseUrl}/trpc/integrity.summary`, {
      headers: { 'if-none-match': first.etag! },
    });
    expect(again.status).toBe(304);
    const bad = await fetch(
      `${api.baseUrl}/trpc/integrity.summary?input=${encodeURIComponent('{"x":1}')}`,
    );
    expect(bad.status).toBe(400);
  });

  it('lists an open flag and gets it; vote.mine says under review; summary moves', async () => {
    const before = await summary();
    flagId = await openFlag(voters, llmId, `net:${NET}`);
    const list = await admin.call('admin.integrity.list', 'query', {});
    expect(list.status).toBe(200);
    const page = list.body.result!.data as IntegrityList;
    expect(page.pending).toBe(1);
    expect(page.flags.map((f) => [f.id, f.status])).toEqual([[Number(flagId), 'open']]);
    const got = await admin.call('admin.integrity.get', 'query', { flagId: Number(flagId) });
    expect(got.status).toBe(200);
    expect(got.body.result!.data).toMatchObject({
      rule: 'prefix-new-voters',
      votes: 3,
      voters: 3,
      byModel: [{ llmId, votes: 3 }],
    });
    expect(await voters[0]!.mine()).toEqual({ [llmId]: { value: 1, status: 'under_review' } });
    const after = await summary();
    expect(after.data).toMatchObject({
      removedTotal: 3,
      removedByModel: { [llmId]: 3 },
      underReview: 3,
    });
    expect(after.data.version).toBeGreaterThan(before.data.version);
    expect(after.etag).not.toBe(before.etag);
  });

  it('refuses non-admins (401) and bad input (400), changing nothing', async () => {
    const before = await state();
    const stranger = new AdminBrowser(api.baseUrl);
    const calls: Array<[string, 'query' | 'mutation', unknown]> = [
      ['admin.integrity.list', 'query', {}],
      ['admin.integrity.get', 'query', { flagId: Number(flagId) }],
      ['admin.integrity.confirm', 'mutation', { flagId: Number(flagId), banVoters: true }],
      ['admin.integrity.dismiss', 'mutation', { flagId: Number(flagId) }],
    ];
    for (const [path, type, input] of calls) {
      expect((await stranger.call(path, type, input)).status, path).toBe(401);
    }
    const bad: Array<[string, 'query' | 'mutation', unknown]> = [
      ['admin.integrity.list', 'query', { status: 'open' }],
      ['admin.integrity.list', 'query', { limit: 0 }],
      ['admin.integrity.list', 'query', { before: -1 }],
      ['admin.integrity.get', 'query', { flagId: 'abc' }],
      ['admin.integrity.get', 'query', {}],
      ['admin.integrity.confirm', 'mutation', { flagId: Number(flagId), hours: 0 }],
      ['admin.integrity.confirm', 'mutation', { flagId: Number(flagId), hours: 24 * 91 }],
      ['admin.integrity.confirm', 'mutation', { flagId: Number(flagId), banVoters: 'yes' }],
      ['admin.integrity.confirm', 'mutation', { flagId: Number(flagId), extra: 1 }],
      ['admin.integrity.confirm', 'mutation', { flagId: 0 }],
      ['admin.integrity.dismiss', 'mutation', { flagId: 1.5 }],
      ['admin.integrity.dismiss', 'mutation', {}],
    ];
    for (const [path, type, input] of bad) {
      const r = await admin.call(path, type, input);
      expect(r.status, `${path} ${JSON.stringify(input)}`).toBe(400);
    }
    // Without the CSRF token a mutation is refused too.
    const csrf = admin.csrf;
    admin.csrf = '';
    try {
      const r = await admin.call('admin.integrity.confirm', 'mutation', { flagId: Number(flagId) });
      expect(r.status).toBe(403);
    } finally {
      admin.csrf = csrf;
    }
    // Unknown flags: 404.
    for (const [path, type] of [
      ['admin.integrity.get', 'query'],
      ['admin.integrity.confirm', 'mutation'],
      ['admin.integrity.dismiss', 'mutation'],
    ] as const) {
      const r = await admin.call(path, type, { flagId: 999_999 });
      expect(r.status, path).toBe(404);
      expect(code(r)).toBe('NOT_FOUND');
    }
    expect(await state()).toBe(before);
  });

  it('confirm: keeps the votes out, bans voters and network, audits, announces', async () => {
    const version = api.deps.config.versions.integrity;
    const r = await admin.call('admin.integrity.confirm', 'mutation', {
      flagId: Number(flagId),
      banVoters: true,
      banPrefix: true,
      hours: 2,
    });
    expect(r.status).toBe(200);
    const flag = r.body.result!.data as IntegrityFlag;
    expect(flag).toMatchObject({
      status: 'confirmed',
      reviewedBy: 'integrity-admin',
      ban: { voters: true, prefix: true },
    });
    expect((await api.deps.config.refresh()).integrity).toBe(version + 1);
    expect(await api.deps.integrity.statuses([flagId])).toEqual(new Map([[flagId, 'confirmed']]));
    expect(await voters[1]!.mine()).toEqual({ [llmId]: { value: 1, status: 'removed' } });
    // Banned: by voter id, and a new visitor from the network.
    expect(
      await api.deps.integrity.banned(voters[2]!.id, api.deps.networkHash(voters[2]!.ip)),
    ).toBe('voter');
    expect(await voters[2]!.vote(llmId, 0)).toBe(403);
    expect(await new Voter(`${NET.slice(0, -1)}99`).vote(llmId, 1)).toBe(403);
    expect(await new Voter('192.0.2.2').vote(llmId, 1)).toBe(200);

    const [entry] = (await listAudit(api.deps.db, { limit: 1, action: 'integrity.confirm' }))
      .entries;
    expect(entry).toMatchObject({
      actor: 'integrity-admin',
      targetType: 'integrity_flag',
      targetId: flagId,
      before: { status: 'open', rule: 'prefix-new-voters', votes: 3 },
      after: {
        status: 'confirmed',
        rule: 'prefix-new-voters',
        votes: 3,
        bannedVoters: 3,
        bannedNetwork: true,
      },
    });
    expect((await summary()).data).toMatchObject({ removedTotal: 3, underReview: 0 });

    // Confirmed already: 409, nothing changes.
    const before = await state();
    const again = await admin.call('admin.integrity.confirm', 'mutation', {
      flagId: Number(flagId),
    });
    expect(again.status).toBe(409);
    expect(message(again)).toMatch(/is confirmed/);
    expect(await state()).toBe(before);
  });

  it('dismiss: lifts the bans, marks restoring, audits, asks the worker to restore now', async () => {
    const version = api.deps.config.versions.integrity;
    const r = await admin.call('admin.integrity.dismiss', 'mutation', { flagId: Number(flagId) });
    expect(r.status).toBe(200);
    expect(r.body.result!.data).toMatchObject({ status: 'restoring' });
    expect((await api.deps.config.refresh()).integrity).toBe(version + 1);
    expect(
      await api.deps.integrity.banned(voters[2]!.id, api.deps.networkHash(voters[2]!.ip)),
    ).toBe(null);
    expect(await api.deps.integrity.statuses([flagId])).toEqual(new Map([[flagId, 'restoring']]));
    expect(await voters[0]!.mine()).toEqual({ [llmId]: { value: 1, status: 'under_review' } });
    const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.map((j) => [j.name, j.data as unknown])).toEqual([
      [INTEGRITY_APPLY_JOB, { flagId }],
    ]);
    const [entry] = (await listAudit(api.deps.db, { limit: 1, action: 'integrity.dismiss' }))
      .entries;
    expect(entry).toMatchObject({
      targetId: flagId,
      before: { status: 'confirmed', votes: 3 },
      after: { status: 'restoring', bannedVoters: 3, bannedNetwork: true },
    });
    expect((await getIntegrityFlag(api.deps.db, flagId))!.status).toBe('restoring');

    // Restoring already: 409, nothing changes (no second job either).
    const before = await state();
    const again = await admin.call('admin.integrity.dismiss', 'mutation', {
      flagId: Number(flagId),
    });
    expect(again.status).toBe(409);
    expect(message(again)).toMatch(/is restoring/);
    expect(await state()).toBe(before);
  });
});

describe('live pages', () => {
  it('hear an integrity bump as a config message (SSE)', async () => {
    const messages: LiveMessage[] = [];
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
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data) messages.push(JSON.parse(data) as LiveMessage);
        }
      }
    })().catch(() => undefined);
    try {
      const configs = () => messages.flatMap((m) => (m.type === 'config' ? [m.config] : []));
      await until(() => configs().length > 0, 'first config message');
      const first = configs()[0]!;
      await api.deps.config.bump('integrity');
      await until(
        () => configs().some((c) => c.integrity === first.integrity + 1),
        'config message with the new integrity version',
      );
    } finally {
      ctrl.abort();
      await reading;
    }
  });
});

async function until(ok: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
