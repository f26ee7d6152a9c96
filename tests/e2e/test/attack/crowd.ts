import { Browser, type CastAnswer } from './browser.ts';

/**
 * The voters of issue 13's scripted attack: honest crowds (own cookie, browser User-Agent, a
 * few models each, both directions) and the stuffing script (no cookie, one /24, one model up).
 * Deterministic (a seeded PRNG): a failing run can be replayed.
 */

/** mulberry32: small, seeded, good enough to spread votes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHROME = (v: number, os: string) =>
  `Mozilla/5.0 (${os}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`;
const FIREFOX = (v: number, os: string) =>
  `Mozilla/5.0 (${os}; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`;
const OSES = [
  'Windows NT 10.0; Win64; x64',
  'Macintosh; Intel Mac OS X 10_15_7',
  'X11; Linux x86_64',
  'X11; Ubuntu; Linux x86_64',
];

/** A browser-like User-Agent (what honest voters send), picked by `rand`. */
export function browserUserAgent(rand: () => number): string {
  const os = OSES[Math.floor(rand() * OSES.length)]!;
  return rand() < 0.7
    ? CHROME(128 + Math.floor(rand() * 14), os)
    : FIREFOX(128 + Math.floor(rand() * 20), os);
}

/** 32 lowercase hex: a FingerprintJS visitor id as the SPA sends it. */
export function fingerprint(rand: () => number): string {
  let s = '';
  for (let i = 0; i < 4; i++)
    s += Math.floor(rand() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return s;
}

/** Runs `jobs` with at most `limit` in flight (a crowd, not a thundering herd of sockets). */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  job: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await job(items[i]!, i);
      }
    }),
  );
}

/** Every acknowledged ballot of a crowd: voter id → model → value (1 | -1; 0 = retracted). */
export type Ballots = Map<string, Map<string, 1 | -1 | 0>>;

/** A crowd's voters and the ballots the api acknowledged to them. */
export interface Crowd {
  browsers: Browser[];
  ballots: Ballots;
  /** Refused casts (should be none for honest crowds). */
  refused: CastAnswer[];
  /** When the last acknowledged vote's answer arrived (performance.now()). */
  lastAckAt: number;
}

function acknowledge(crowd: Crowd, browser: Browser, llmId: string, answer: CastAnswer): void {
  if (answer.myVote === null) {
    crowd.refused.push(answer);
    return;
  }
  const id = browser.voterId!;
  const mine = crowd.ballots.get(id) ?? new Map<string, 1 | -1 | 0>();
  mine.set(llmId, answer.myVote);
  crowd.ballots.set(id, mine);
  crowd.lastAckAt = Math.max(crowd.lastAckAt, answer.at);
}

/**
 * Honest voters: `count` browsers spread over the /24s 127.1.N.0 for N in `networks` (one
 * address each, `perAddress` browsers sharing it: 1 for households, more for a NAT), each with
 * its own cookie and a browser User-Agent, voting `minVotes`–`maxVotes` distinct models of
 * `llms` (70 % up), alternating api processes. Some change their mind once.
 */
export async function honestCrowd(opts: {
  apis: string[];
  llms: string[];
  count: number;
  networks: number[];
  /** Addresses used in each network (.1 … .hosts); voters share them round-robin. */
  hosts: number;
  minVotes: number;
  maxVotes: number;
  seed: number;
}): Promise<Crowd> {
  const rand = prng(opts.seed);
  const browsers = Array.from({ length: opts.count }, (_, i) => {
    const net = opts.networks[i % opts.networks.length]!;
    const host = 1 + (Math.floor(i / opts.networks.length) % opts.hosts);
    return new Browser(`127.1.${net}.${host}`, browserUserAgent(rand), true);
  });
  const plans = browsers.map(() => {
    const n = opts.minVotes + Math.floor(rand() * (opts.maxVotes - opts.minVotes + 1));
    const picked = new Set<string>();
    while (picked.size < n) picked.add(opts.llms[Math.floor(rand() * opts.llms.length)]!);
    return [...picked].map((llmId): { llmId: string; value: 1 | -1; flip: boolean } => ({
      llmId,
      value: rand() < 0.7 ? 1 : -1,
      flip: rand() < 0.1,
    }));
  });
  const crowd: Crowd = { browsers, ballots: new Map(), refused: [], lastAckAt: 0 };
  await inParallel(browsers, 24, async (browser, i) => {
    for (const [k, vote] of plans[i]!.entries()) {
      const api = opts.apis[(i + k) % opts.apis.length]!;
      acknowledge(crowd, browser, vote.llmId, await browser.cast(api, vote.llmId, vote.value));
      if (vote.flip) {
        const other = opts.apis[(i + k + 1) % opts.apis.length]!;
        const value = -vote.value as 1 | -1;
        acknowledge(crowd, browser, vote.llmId, await browser.cast(other, vote.llmId, value));
      }
    }
  });
  return crowd;
}

/**
 * The stuffing script: `count` cookie-less upvotes of `target` from addresses inside
 * 127.1.`network`.0/24 (.1–.254, then reused), as fast as `parallel` sockets allow (well within
 * a minute). `rotate`: every vote with another browser User-Agent and another fingerprint
 * (client.fp), as a script that knows about those signals would; otherwise one fixed UA.
 */
export async function stuffingAttack(opts: {
  apis: string[];
  target: string;
  count: number;
  network: number;
  rotate: boolean;
  seed: number;
  parallel?: number;
}): Promise<Crowd & { firstAt: number }> {
  const rand = prng(opts.seed);
  const fixedUa = browserUserAgent(rand);
  const browsers = Array.from(
    { length: opts.count },
    (_, i) =>
      new Browser(
        `127.1.${opts.network}.${1 + (i % 254)}`,
        opts.rotate ? browserUserAgent(rand) : fixedUa,
        false,
      ),
  );
  const fps = browsers.map(() => (opts.rotate ? fingerprint(rand) : undefined));
  const crowd: Crowd = { browsers, ballots: new Map(), refused: [], lastAckAt: 0 };
  const firstAt = performance.now();
  await inParallel(browsers, opts.parallel ?? 16, async (browser, i) => {
    const api = opts.apis[i % opts.apis.length]!;
    const fp = fps[i];
    acknowledge(
      crowd,
      browser,
      opts.target,
      await browser.cast(api, opts.target, 1, fp ? { fp } : undefined),
    );
  });
  return { ...crowd, firstAt };
}

/** Score (up − down) per model of a crowd's ballots. */
export function scoresOf(...crowds: Crowd[]): Map<string, { up: number; down: number }> {
  const out = new Map<string, { up: number; down: number }>();
  for (const crowd of crowds)
    for (const ballots of crowd.ballots.values())
      for (const [llmId, value] of ballots) {
        const t = out.get(llmId) ?? { up: 0, down: 0 };
        if (value === 1) t.up++;
        if (value === -1) t.down++;
        out.set(llmId, t);
      }
  return out;
}

/** The non-zero ballots of a crowd as (voter, model, value) rows. */
export function ballotRows(crowd: Crowd): Array<{ voterId: string; llmId: string; value: 1 | -1 }> {
  return [...crowd.ballots].flatMap(([voterId, m]) =>
    [...m].flatMap(([llmId, value]) => (value === 0 ? [] : [{ voterId, llmId, value }])),
  );
}
