import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** One vote as the load generator sent it, and what became of it. */
export interface LedgerEntry {
  voter: number;
  llmId: string;
  value: 1 | -1 | 0;
  /** ms since the ledger started, when sent and when answered. */
  sentMs: number;
  doneMs: number;
  /**
   * 'acked': 200 with the tally; 'refused': a 4xx or a 503 the api answered (nothing written,
   * or an unconfirmed vote the client may retry); 'unknown': no answer (connection reset,
   * timeout): the vote may or may not have been applied.
   */
  outcome: 'acked' | 'refused' | 'unknown';
  status: number;
}

export interface LedgerVoter {
  /** `vid=…` as the api set it. */
  cookie: string;
  /** Source address of this voter's connections (127.1.N.M: one client per address). */
  localAddress: string;
}

export interface LedgerOptions {
  /** Where votes go: the edge (nginx) or an api. */
  origin: string;
  voters: LedgerVoter[];
  models: readonly string[];
  /** Votes per second per voter (each voter has one vote in flight at most). */
  perVoterPerSec: number;
  /** A request without an answer after this long counts as 'unknown'. */
  timeoutMs?: number;
}

/**
 * An open-ended vote generator that keeps a ledger of every vote and its outcome: what a
 * failover test compares with Postgres afterwards. Each voter votes on random models with random
 * values (up, down, retract), one vote in flight at a time, from its own source address.
 */
export class VoteLedger {
  readonly entries: LedgerEntry[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly agents = new Map<string, Agent>();
  private t0 = 0;

  constructor(private readonly opts: LedgerOptions) {}

  start(): void {
    this.running = true;
    this.t0 = performance.now();
    this.loops = this.opts.voters.map((v, i) => this.loop(i, v));
  }

  /** ms since start. */
  now(): number {
    return performance.now() - this.t0;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    for (const a of this.agents.values()) a.destroy();
  }

  /**
   * The longest stretch without any acknowledged vote that starts at or after `fromMs` (e.g.
   * the kill), in ms: how long voting was unavailable.
   */
  longestGapAfter(fromMs: number): number {
    const acks = this.entries
      .filter((e) => e.outcome === 'acked')
      .map((e) => e.doneMs)
      .sort((a, b) => a - b);
    let prev = fromMs;
    let gap = 0;
    for (const t of acks) {
      if (t < fromMs) continue;
      gap = Math.max(gap, t - prev);
      prev = t;
    }
    return gap;
  }

  private async loop(index: number, voter: LedgerVoter): Promise<void> {
    const pause = 1000 / this.opts.perVoterPerSec;
    // Spread the voters over the first period, so they do not all fire together.
    await sleep(Math.random() * pause);
    while (this.running) {
      const llmId = this.opts.models[Math.floor(Math.random() * this.opts.models.length)]!;
      const value = ([1, -1, 0] as const)[Math.floor(Math.random() * 3)]!;
      const sentMs = this.now();
      const { status, outcome } = await this.send(voter, llmId, value);
      this.entries.push({
        voter: index,
        llmId,
        value,
        sentMs,
        doneMs: this.now(),
        outcome,
        status,
      });
      await sleep(Math.max(0, pause - (this.now() - sentMs)));
    }
  }

  private send(
    voter: LedgerVoter,
    llmId: string,
    value: 1 | -1 | 0,
  ): Promise<{ status: number; outcome: LedgerEntry['outcome'] }> {
    let agent = this.agents.get(voter.localAddress);
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxSockets: 1 });
      this.agents.set(voter.localAddress, agent);
    }
    const body = JSON.stringify({ llmId, value });
    return new Promise((resolve) => {
      const req = request(
        `${this.opts.origin}/trpc/vote.cast`,
        {
          method: 'POST',
          agent,
          localAddress: voter.localAddress,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            cookie: voter.cookie,
          },
          timeout: this.opts.timeoutMs ?? 5_000,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            // A 5xx other than the api's "not confirmed, send again" (503) may have been
            // applied: unknown. A 503 from the api wrote at most an unconfirmed ballot: the
            // next vote of this voter on this model supersedes it either way.
            const outcome =
              status === 200 ? 'acked' : status < 500 || status === 503 ? 'refused' : 'unknown';
            resolve({ status, outcome });
          });
          res.on('error', () => resolve({ status: res.statusCode ?? 0, outcome: 'unknown' }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve({ status: 0, outcome: 'unknown' }));
      req.end(body);
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What Postgres holds, to compare with the ledger. */
export interface StoredVotes {
  /** `${voterId}|${llmId}` → the stored ballot (0 when retracted; absent: none). All voters. */
  ballots: Map<string, number>;
  /** llmId → { up, down } as llm_vote_counts has them. */
  counts: Map<string, { up: number; down: number }>;
}

export interface LedgerVerdict {
  /** Pairs whose last acknowledged vote Postgres does not hold (and no later vote explains). */
  lost: number;
  /** Models whose counts exceed the ballots (a vote counted twice). */
  doubleCounted: number;
  /** Pairs whose final state is uncertain (a later vote got no answer): either value is right. */
  uncertain: number;
  acked: number;
  refused: number;
  unknown: number;
}

/**
 * Compares the ledger with Postgres. For each (voter, model), the expected ballot is the last
 * acknowledged vote's value, unless a later vote ended 'unknown' or 'refused' with 503 (then the
 * stored ballot may be that later value too). Counts must equal the ballots, model by model.
 */
export function judge(
  entries: readonly LedgerEntry[],
  stored: StoredVotes,
  /** The voter id of each ledger voter (its index). */
  voterIds: readonly string[],
  /** The ballots before this ledger started (voters reused across runs); default none. */
  before: ReadonlyMap<string, number> = new Map(),
): LedgerVerdict {
  const byPair = new Map<string, LedgerEntry[]>();
  for (const e of entries) {
    const key = `${voterIds[e.voter]}|${e.llmId}`;
    const list = byPair.get(key) ?? [];
    list.push(e);
    byPair.set(key, list);
  }
  let lost = 0;
  let uncertain = 0;
  for (const [key, list] of byPair) {
    const lastAck = list.findLastIndex((e) => e.outcome === 'acked');
    const allowed = new Set<number>([lastAck >= 0 ? list[lastAck]!.value : (before.get(key) ?? 0)]);
    // Answers arrive in order per voter (one in flight), so "later" is "after in the list".
    for (const e of list.slice(lastAck + 1)) {
      if (e.outcome === 'unknown' || e.status === 503) allowed.add(e.value);
    }
    if (allowed.size > 1) uncertain++;
    if (!allowed.has(stored.ballots.get(key) ?? 0)) lost++;
  }
  const expected = new Map<string, { up: number; down: number }>();
  for (const [key, value] of stored.ballots) {
    const llmId = key.slice(key.indexOf('|') + 1);
    const c = expected.get(llmId) ?? { up: 0, down: 0 };
    if (value === 1) c.up++;
    if (value === -1) c.down++;
    expected.set(llmId, c);
  }
  let doubleCounted = 0;
  for (const [llmId, c] of stored.counts) {
    const e = expected.get(llmId) ?? { up: 0, down: 0 };
    if (c.up > e.up || c.down > e.down) doubleCounted++;
  }
  return {
    lost,
    doubleCounted,
    uncertain,
    acked: entries.filter((e) => e.outcome === 'acked').length,
    refused: entries.filter((e) => e.outcome === 'refused').length,
    unknown: entries.filter((e) => e.outcome === 'unknown').length,
  };
}
