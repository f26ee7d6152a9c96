import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryFields } from '@llmpt/vote-store';

import { isScriptedUserAgent, voteSignals } from '../src/services/vote-signals.ts';
import { type TestApi, Visitor, startTestApi, voteState } from './helpers.ts';

const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FP = '0123456789abcdef0123456789abcdef';

let api: TestApi;
let address = 0;

beforeAll(async () => {
  // Loopback is the proxy, so each visitor's X-Forwarded-For is its address.
  api = await startTestApi({ TRUST_PROXY: '127.0.0.1' });
});
afterAll(async () => {
  await api?.close();
});

/** A tRPC answer over the lean route (the parts these tests read). */
interface Reply {
  error?: { message: string; data?: { appCode?: string | null } };
}

/** A browser at its own address (`net`.x), sending `ua`. */
class Browser extends Visitor {
  constructor(
    readonly ip = `203.0.113.${++address}`,
    readonly ua = CHROME,
  ) {
    super(api.baseUrl);
  }

  async vote(body: unknown): Promise<{ status: number; json: Reply }> {
    const res = await this.post('vote.cast', JSON.stringify(body), {
      'content-type': 'application/json',
      'x-forwarded-for': this.ip,
      'user-agent': this.ua,
    });
    return { status: res.status, json: (await res.json()) as Reply };
  }

  async mine(): Promise<unknown> {
    const res = await this.fetch(`${api.baseUrl}/trpc/vote.mine`, {
      headers: { 'x-forwarded-for': this.ip, 'user-agent': this.ua },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { result: { data: unknown } }).result.data;
  }

  get voterId(): string {
    return decodeURIComponent(this.cookies.get('vid') ?? '').split('.')[0]!;
  }
}

/** The newest outbox entry of the model's partition, as a field → value map. */
async function lastEvent(llmId: string): Promise<Record<string, string>> {
  const [entry] = await api.deps.redis.xrevrange(
    api.deps.voteStore.keysFor(llmId).outbox,
    '+',
    '-',
    'COUNT',
    1,
  );
  return entryFields(entry![1]);
}

/** Everything a refused vote must leave as it was: the keys, the tallies and outboxes. */
async function everything(): Promise<string> {
  const keys = (await api.deps.redis.keys(`${api.deps.env.REDIS_PREFIX}*`)).sort();
  return JSON.stringify({ keys, votes: await voteState(api.deps) });
}

const appCode = (json: Reply) => json.error?.data?.appCode;

describe('automation from the User-Agent', () => {
  it('knows headless browsers and HTTP libraries, and leaves browsers alone', () => {
    for (const ua of [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
      'Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1',
      'curl/8.5.0',
      'Wget/1.21.4',
      'python-requests/2.32.3',
      'Go-http-client/2.0',
      'okhttp/4.12.0',
      '',
      '   ',
    ]) {
      expect(isScriptedUserAgent(ua), ua).toBe(true);
    }
    for (const ua of [
      CHROME,
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
      'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    ]) {
      expect(isScriptedUserAgent(ua), ua).toBe(false);
    }
  });

  it('builds keyed hashes only, empty for what the client did not send', () => {
    const hash = (v: string) => `h(${v})`;
    const base = { ip: '203.0.113.9', userAgent: CHROME, networkHash: 'net', newVoter: true };
    expect(voteSignals(hash, base)).toEqual({
      ip: 'h(203.0.113.9)',
      net: 'net',
      ua: `h(${CHROME})`,
      fp: '',
      newVoter: true,
      automated: false,
    });
    expect(
      voteSignals(hash, { ...base, userAgent: '', client: { fp: FP, webdriver: true } }),
    ).toMatchObject({ ua: '', fp: `h(${FP})`, automated: true });
    expect(voteSignals(hash, { ...base, client: { webdriver: false } }).automated).toBe(false);
  });
});

describe('vote signals', () => {
  it('reach the outbox entry: address, network, user agent, fingerprint, new, automated', async () => {
    const b = new Browser();
    const [llm] = await api.deps.catalogue.all();
    expect((await b.vote({ llmId: llm!.id, value: 1, client: { fp: FP } })).status).toBe(200);
    const first = await lastEvent(llm!.id);
    expect(first).toMatchObject({
      v: b.voterId,
      l: llm!.id,
      n: '1',
      ip: api.deps.hash(b.ip),
      nw: api.deps.networkHash(b.ip),
      ua: api.deps.hash(CHROME),
      fp: api.deps.hash(FP),
      nv: '1',
      au: '0',
    });
    // Never in the clear.
    expect(Object.values(first)).not.toContain(b.ip);
    expect(Object.values(first)).not.toContain(FP);
    // The same voter again, now known; the browser says it is automated.
    expect((await b.vote({ llmId: llm!.id, value: -1, client: { webdriver: true } })).status).toBe(
      200,
    );
    expect(await lastEvent(llm!.id)).toMatchObject({ n: '-1', fp: '', nv: '0', au: '1' });
    // A scripted client without any browser signal.
    const curl = new Browser(undefined, 'curl/8.5.0');
    expect((await curl.vote({ llmId: llm!.id, value: 1 })).status).toBe(200);
    expect(await lastEvent(llm!.id)).toMatchObject({
      v: curl.voterId,
      ua: api.deps.hash('curl/8.5.0'),
      nv: '1',
      au: '1',
    });
  });

  it('refuses a malformed browser signal (400) and changes nothing', async () => {
    const b = new Browser();
    const [llm] = await api.deps.catalogue.all();
    const before = await everything();
    for (const client of [
      { fp: 'not-hex' },
      { fp: FP.toUpperCase() },
      { fp: `${FP}00` },
      { webdriver: 'yes' },
      { fp: FP, extra: 1 },
      'fp',
    ]) {
      const r = await b.vote({ llmId: llm!.id, value: 1, client });
      expect(r.status, JSON.stringify(client)).toBe(400);
    }
    expect(await everything()).toBe(before);
  });
});

describe('bans', () => {
  it('refuse a banned voter id (403, a retraction too) and change nothing', async () => {
    const b = new Browser();
    const [one, two] = await api.deps.catalogue.all();
    expect((await b.vote({ llmId: one!.id, value: 1 })).status).toBe(200);
    await api.deps.integrity.ban(
      { voterIds: [b.voterId] },
      new Date(Date.now() + 3 * 3_600_000),
      '41',
    );
    // The rate-limit windows of this voter and address exist already (they are consumed in the
    // same round trip as the ban check): the key set must not grow.
    const before = await everything();
    for (const body of [
      { llmId: two!.id, value: 1 },
      { llmId: one!.id, value: -1 },
      { llmId: one!.id, value: 0 },
    ]) {
      const r = await b.vote(body);
      expect(r.status).toBe(403);
      expect(appCode(r.json)).toBe('VOTER_BANNED');
      expect(r.json.error?.message).toMatch(/this browser are suspended for about 3 hours/);
    }
    expect(await everything()).toBe(before);
    expect(await b.mine()).toEqual({ [one!.id]: { value: 1, status: 'counted' } });
    // Another browser at the same address votes.
    expect((await new Browser(b.ip).vote({ llmId: two!.id, value: 1 })).status).toBe(200);
  });

  it("refuse a banned network's new and known voters, and nobody else", async () => {
    const known = new Browser('198.51.100.10');
    const [one, two] = await api.deps.catalogue.all();
    expect((await known.vote({ llmId: one!.id, value: 1 })).status).toBe(200);
    // A first new voter of the network (its new-voter window now exists).
    expect((await new Browser('198.51.100.11').vote({ llmId: one!.id, value: 1 })).status).toBe(
      200,
    );
    const net = api.deps.networkHash('198.51.100.10');
    expect(api.deps.networkHash('198.51.100.200')).toBe(net);
    await api.deps.integrity.ban({ networkHash: net }, new Date(Date.now() + 3_600_000), '42');
    const before = await everything();
    const r = await known.vote({ llmId: two!.id, value: -1 });
    expect(r.status).toBe(403);
    expect(appCode(r.json)).toBe('VOTER_BANNED');
    expect(r.json.error?.message).toMatch(/your network/);
    // A new visitor from that network at an address already seen: nothing stored either.
    const fresh = new Browser('198.51.100.11');
    expect((await fresh.vote({ llmId: two!.id, value: 1 })).status).toBe(403);
    expect(await everything()).toBe(before);
    // Another network is not affected; lifting the ban lets the voter back in.
    expect((await new Browser('192.0.2.7').vote({ llmId: two!.id, value: 1 })).status).toBe(200);
    await api.deps.integrity.unban({ networkHash: net });
    expect((await known.vote({ llmId: two!.id, value: -1 })).status).toBe(200);
  });
});

describe('vote.mine statuses', () => {
  it('says counted, under review (voiding, open, restoring, unknown) and removed', async () => {
    const b = new Browser();
    const llms = (await api.deps.catalogue.all()).slice(0, 6);
    for (const [i, l] of llms.entries()) {
      expect((await b.vote({ llmId: l.id, value: i % 2 === 0 ? 1 : -1 })).status).toBe(200);
    }
    const [counted, voiding, open, restoring, unknown, removed] = llms.map((l) => l.id);
    const flags: Array<[string, string, 'voiding' | 'open' | 'restoring' | 'confirmed' | null]> = [
      [voiding!, '501', 'voiding'],
      [open!, '502', 'open'],
      [restoring!, '503', 'restoring'],
      [unknown!, '504', null],
      [removed!, '505', 'confirmed'],
    ];
    const tallyBefore = await api.deps.voteStore.tallies([open!]);
    for (const [llmId, flagId] of flags) {
      expect((await api.deps.voteStore.voidBallot(b.voterId, llmId, 'void', flagId)).status).toBe(
        'done',
      );
    }
    await api.deps.integrity.setStatuses(
      flags.flatMap(([, flagId, status]) => (status ? [{ flagId, status }] : [])),
    );
    expect(await b.mine()).toEqual({
      [counted!]: { value: 1, status: 'counted' },
      [voiding!]: { value: -1, status: 'under_review' },
      [open!]: { value: 1, status: 'under_review' },
      [restoring!]: { value: -1, status: 'under_review' },
      [unknown!]: { value: 1, status: 'under_review' },
      [removed!]: { value: -1, status: 'removed' },
    });
    // The voided ballot left the tally.
    expect((await api.deps.voteStore.tallies([open!])).get(open!)!.up).toBe(
      tallyBefore.get(open!)!.up - 1,
    );

    // A voided ballot cannot change (409), told apart: under review, or removed.
    const before = await everything();
    const underReview = await b.vote({ llmId: open!, value: -1 });
    expect(underReview.status).toBe(409);
    expect(appCode(underReview.json)).toBe('VOTE_UNDER_REVIEW');
    expect(underReview.json.error?.message).toMatch(/until the review ends/);
    const gone = await b.vote({ llmId: removed!, value: 0 });
    expect(gone.status).toBe(409);
    expect(gone.json.error?.message).toMatch(/removed after an integrity review/);
    expect(await voteState(api.deps)).toBe((JSON.parse(before) as { votes: string }).votes);

    // Restored: it counts again.
    await api.deps.voteStore.voidBallot(b.voterId, restoring!, 'restore', '503');
    expect(((await b.mine()) as Record<string, { status: string }>)[restoring!]!.status).toBe(
      'counted',
    );
  });

  it('answers a new visitor with nothing', async () => {
    expect(await new Browser().mine()).toEqual({});
  });
});
