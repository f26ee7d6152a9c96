import { performance } from 'node:perf_hooks';

import { type Database, listLlms, trendingFromEvents } from '@llmpt/db';
import {
  DEFAULT_TRENDING_HALF_LIFE_HOURS,
  type RankableLlm,
  type RankingEntry,
  type RankingRules,
  type RankingsSnapshot,
  type VoteCounts,
  computeEntries,
  decayTrending,
  diffEntries,
  halfLifeMs,
} from '@llmpt/shared';
import {
  type RankingsKeys,
  type VoteStore,
  publishRankings,
  rankingsKeys,
  readRankingsSnapshot,
} from '@llmpt/vote-store';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';

import type { Metrics } from '../metrics.ts';
import { CatalogueCache } from './catalogue.ts';
import { LeaderElection } from './leader.ts';

export interface RankerDeps {
  /** Lock and publish connection (fail-fast: a leader must learn quickly that Redis is gone). */
  redis: Redis;
  /** Tallies are read through it; its prefix also prefixes the rankings keys. */
  store: VoteStore;
  db: Kysely<Database>;
  metrics: Metrics;
  log: (msg: string) => void;
  /** The clock (ms since the epoch): snapshot times and the trending decay. Default Date.now. */
  now?: () => number;
}

export interface RankerOptions {
  /** At most one diff per tick, whatever the vote rate. */
  tickMs: number;
  /**
   * Diff entries per second the ranker paces itself to: after a diff of N entries the next
   * tick waits N / this seconds (at least tickMs, at most maxTickMs). Every subscriber receives
   * each entry, so this bounds the fan-out bytes under heavy, uniform voting, when nearly every
   * model changes on every tick; a quiet board still gets a diff every tick. Default: no pacing.
   */
  maxEntriesPerSec?: number;
  /** The longest a paced tick may wait (default: tickMs, i.e. no pacing). */
  maxTickMs?: number;
  lockTtlMs: number;
  /** Approximate number of diffs kept for reconnecting clients. */
  streamMaxLen: number;
  /** How long the active catalogue is reused before it is read from Postgres again. */
  catalogueTtlMs?: number;
  /** Votes a model needs to be ranked (RANK_MIN_VOTES); default 1: every voted model. */
  minVotes?: number;
  /** Half-life of the trending score (TRENDING_HALF_LIFE_HOURS); default 6. */
  trendingHalfLifeHours?: number;
  /**
   * The trending values decay in steps of this long (default TRENDING_STEP_MS, a minute): a
   * published value is the model's value at the start of the step, plus the votes since in full.
   */
  trendingStepMs?: number;
}

/**
 * Trending decays by the minute. Decayed continuously, every model's rounded value moves every
 * few seconds (a value of 5,000 by 0.16 a second at a 6 h half-life), and each tick with any
 * vote would re-send nearly every entry: simulated over 101 models with votes spread by
 * popularity, 51 entries per diff at 1 vote/s instead of 1, 84 at 10 votes/s instead of 2.5.
 * Stepped by the minute: 2.7 and 2.9 (one full diff a minute). A vote is counted as if cast at
 * the start of its minute: at a 6 h half-life its weight is off by at most 0.2 %.
 */
export const TRENDING_STEP_MS = 60_000;

/** What the leader knows of the published state; rebuilt from the snapshot on election. */
interface Session {
  /** The last published entries by model; null until read from the snapshot. */
  published: Map<string, RankingEntry> | null;
  /** The tallies those entries were computed from. */
  tallies: Map<string, VoteCounts>;
  /** The catalogue they were computed with (a reload may rename, recategorize or retire). */
  catalogue: RankableLlm[] | null;
  /**
   * No snapshot existed (or it was computed by other rules): publish one even if no vote
   * arrives.
   */
  mustPublish: boolean;
  /**
   * Each model's trending value (unrounded; absent: 0) as of `trendingAt`, the start of a
   * trending step, with the tally changes since counted in full.
   */
  trending: Map<string, number>;
  trendingAt: number;
}

const countsOf = (entries: Iterable<VoteCounts & { llmId: string }>) =>
  new Map([...entries].map((e) => [e.llmId, { up: e.up, down: e.down }]));

/**
 * Turns tallies into ranking diffs while this process is the leader: every tick it reads the
 * tallies in one pipeline and, only if one changed, ranks, diffs against what it published
 * last and publishes the diff with the full snapshot. Votes between two ticks coalesce into
 * one diff, so the stream's rate is bounded by the tick, not by the vote rate.
 * @see LeaderElection
 * @see publishRankings
 */
export class Ranker {
  readonly keys: RankingsKeys;
  readonly leader: LeaderElection;
  private session: Session | null = null;
  private readonly now: () => number;
  private readonly rules: RankingRules;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | null = null;
  private readonly catalogue: CatalogueCache;
  private ticksRun = 0;
  /** Entries of the diff the last tick published (0: none), for pacing the next tick. */
  private lastDiffEntries = 0;
  /** A tick is running (between its start and the scheduling of the next). */
  private ticking = false;
  /** The catalogue changed during a tick: the next one starts at once. */
  private tickSoon = false;

  constructor(
    private readonly deps: RankerDeps,
    private readonly opts: RankerOptions,
  ) {
    this.keys = rankingsKeys(deps.store.prefix);
    this.now = deps.now ?? Date.now;
    this.rules = {
      minVotes: opts.minVotes ?? 1,
      trendingHalfLifeHours: opts.trendingHalfLifeHours ?? DEFAULT_TRENDING_HALF_LIFE_HOURS,
    };
    this.catalogue = new CatalogueCache(
      () => listLlms(deps.db),
      opts.catalogueTtlMs ?? 60_000,
      deps.log,
    );
    this.leader = new LeaderElection({
      redis: deps.redis,
      key: this.keys.leader,
      ttlMs: opts.lockTtlMs,
      log: deps.log,
      onElected: () => this.lead(),
      onLost: (reason) => this.follow(reason),
    });
  }

  get isLeader(): boolean {
    return this.leader.isLeader;
  }

  /** Ticks run as leader so far (tests wait on it instead of on the clock). */
  get ticks(): number {
    return this.ticksRun;
  }

  start(): void {
    this.leader.start();
  }

  /** Finishes the tick in hand, then releases the lock so another worker takes over at once. */
  async close(): Promise<void> {
    this.session = null;
    clearTimeout(this.timer);
    await this.inFlight;
    await this.leader.close();
    this.deps.metrics.rankerIsLeader.set(0);
  }

  /**
   * An admin changed the catalogue (the worker's ConfigChannel): reload it from the primary and,
   * when leading, tick now instead of at the next interval, so a new model is ranked and a
   * rename reaches the snapshot within a second (the tick publishes: the catalogue changed).
   */
  catalogueChanged(): void {
    this.catalogue.invalidate();
    const session = this.session;
    if (!session) return;
    if (this.ticking) {
      this.tickSoon = true;
      return;
    }
    // Waiting for its next tick (a timer that fired has started its tick within this task).
    clearTimeout(this.timer);
    this.schedule(session, 0);
  }

  /** Test hook: stops like a killed process, keeping the lock until its lease runs out. */
  crash(): void {
    this.session = null;
    clearTimeout(this.timer);
    this.leader.crash();
  }

  private lead(): void {
    this.deps.log('ranker: elected leader');
    this.deps.metrics.rankerIsLeader.set(1);
    const session: Session = {
      published: null,
      tallies: new Map(),
      catalogue: null,
      mustPublish: false,
      trending: new Map(),
      trendingAt: 0,
    };
    this.session = session;
    this.schedule(session, 0);
  }

  private follow(reason: string): void {
    this.deps.log(`ranker: no longer leader (${reason})`);
    this.deps.metrics.rankerIsLeader.set(0);
    this.session = null;
    clearTimeout(this.timer);
  }

  private schedule(session: Session, delayMs: number): void {
    this.timer = setTimeout(() => {
      // After a quick re-election, a tick of the previous term may still be publishing: the new
      // term reads the snapshot only once that one has landed.
      const run = (this.inFlight ?? Promise.resolve()).then(() => this.runTick(session));
      this.inFlight = run;
      void run.finally(() => {
        if (this.inFlight === run) this.inFlight = null;
      });
    }, delayMs);
  }

  private async runTick(session: Session): Promise<void> {
    if (this.session !== session) return;
    // A new term's state (the snapshot, or the event log on a cold start) is read before the
    // tick's clock starts: the first tick is paced like any other. On failure the tick retries.
    if (!session.published)
      await this.resume(session).catch((err: unknown) =>
        this.deps.log(`ranker: reading the published state failed: ${String(err)}`),
      );
    if (this.session !== session) return;
    const started = performance.now();
    this.ticking = true;
    try {
      await this.tick(session);
    } catch (err) {
      this.deps.log(`ranker: tick failed: ${String(err)}`);
    } finally {
      const elapsedMs = performance.now() - started;
      this.deps.metrics.rankerTickDuration.observe(elapsedMs / 1000);
      this.ticksRun++;
      // Ticks never overlap, and start at most once per tickMs (longer after a big diff).
      const soon = this.tickSoon;
      this.tickSoon = false;
      this.ticking = false;
      if (this.session === session)
        this.schedule(session, soon ? 0 : Math.max(0, this.nextTickMs() - elapsedMs));
    }
  }

  /** The time from this tick's start to the next one's: tickMs, stretched after a big diff. */
  private nextTickMs(): number {
    const { tickMs, maxEntriesPerSec, maxTickMs = tickMs } = this.opts;
    const paced = maxEntriesPerSec ? (this.lastDiffEntries * 1000) / maxEntriesPerSec : 0;
    const interval = Math.min(Math.max(tickMs, maxTickMs), Math.max(tickMs, paced));
    this.deps.metrics.rankerTickInterval.set(interval / 1000);
    return interval;
  }

  private async tick(session: Session): Promise<void> {
    const { redis, store, metrics } = this.deps;
    // The tallies read below are at least this recent; taken first, so consecutive snapshots'
    // `at` are as far apart as their ticks' starts (the pacing).
    const at = this.now();
    this.lastDiffEntries = 0;
    const published = session.published ?? (await this.resume(session));

    const llms = await this.catalogue.get();
    const tallies = await store.tallies(llms.map((l) => l.id));
    if (
      !session.mustPublish &&
      session.catalogue === llms &&
      !this.talliesChanged(llms, tallies, session.tallies)
    ) {
      // Values that only decay keep their order: nothing to publish.
      return;
    }

    // Values are as of the start of the step holding `at` (never older than those held).
    const stepAt = Math.max(this.stepStart(at), session.trendingAt);
    const trending = this.advanceTrending(session, tallies, stepAt);
    const entries = computeEntries(llms, tallies, { minVotes: this.rules.minVotes, trending });
    const diff = diffEntries(published, entries);
    // A retired model changes no entry when it ranked last, but the snapshot must drop it.
    const listed = new Set(entries.map((e) => e.llmId));
    const shrank = [...published.keys()].some((id) => !listed.has(id));
    if (diff.length > 0 || shrank || session.mustPublish) {
      // Lost the lease while reading: the new leader publishes; two writers would interleave.
      if (this.session !== session || !this.leader.isLeader) return;
      await publishRankings(
        redis,
        this.keys,
        { at, entries: diff },
        { at, entries, rules: this.rules },
        { maxLen: this.opts.streamMaxLen },
      );
      metrics.rankerDiffs.inc();
      metrics.rankerDiffEntries.observe(diff.length);
      this.lastDiffEntries = diff.length;
    }
    session.published = new Map(entries.map((e) => [e.llmId, e]));
    // Tallies of models that left the catalogue are kept: back, they continue from there.
    session.tallies = new Map([...session.tallies, ...countsOf(entries)]);
    session.catalogue = llms;
    session.mustPublish = false;
    session.trending = trending;
    session.trendingAt = stepAt;
  }

  /** The start of the trending step (TRENDING_STEP_MS) holding `at`. */
  private stepStart(at: number): number {
    const step = this.opts.trendingStepMs ?? TRENDING_STEP_MS;
    return Math.floor(at / step) * step;
  }

  /**
   * A new term starts from what the previous leader published, so a fail-over is not a full
   * diff, and trending continues: the snapshot's values (rounded as published), as of the start
   * of the step of its `at`, are decayed to the next tick's step and the tallies' change since
   * is added then. Without a snapshot computed by the same half-life (none, or from before
   * issue 15), the values come from Postgres's event log (trendingFromEvents), so a rebuilt
   * Redis does not reset trending; what Redis holds beyond Postgres's tallies (not yet flushed)
   * is then added as votes of the next tick.
   */
  private async resume(session: Session): Promise<Map<string, RankingEntry>> {
    const snapshot = await readRankingsSnapshot(this.deps.redis, this.keys);
    const published = new Map(snapshot?.entries.map((e) => [e.llmId, e]));
    session.published = published;
    session.tallies = countsOf(snapshot?.entries ?? []);
    session.mustPublish = snapshot === null;
    if (snapshot && this.continuesTrending(snapshot)) {
      session.trending = new Map(snapshot.entries.map((e) => [e.llmId, e.trending]));
      session.trendingAt = this.stepStart(snapshot.at);
      if (snapshot.rules!.minVotes !== this.rules.minVotes) session.mustPublish = true;
      return published;
    }
    const at = this.stepStart(this.now());
    const fromEvents = await trendingFromEvents(this.deps.db, {
      now: new Date(at),
      halfLifeMs: halfLifeMs(this.rules.trendingHalfLifeHours),
    });
    session.trending = fromEvents.trending;
    session.trendingAt = at;
    session.tallies = fromEvents.counts;
    session.mustPublish = true;
    this.deps.log(
      `ranker: trending computed from the vote event log (${fromEvents.trending.size} models)`,
    );
    return published;
  }

  /** The snapshot's trending values can be continued: same half-life, every value present. */
  private continuesTrending(snapshot: RankingsSnapshot): boolean {
    return (
      snapshot.rules?.trendingHalfLifeHours === this.rules.trendingHalfLifeHours &&
      snapshot.entries.every((e) => typeof e.trending === 'number')
    );
  }

  /**
   * Each model's trending value at `at`: its value as of the last computation decayed to `at`
   * (decayTrending), plus the net score change of its tally since (new votes weigh 1). A model
   * whose tally was not read (not in the catalogue) only decays.
   */
  private advanceTrending(
    session: Session,
    tallies: ReadonlyMap<string, VoteCounts>,
    at: number,
  ): Map<string, number> {
    const halfLife = halfLifeMs(this.rules.trendingHalfLifeHours);
    const next = new Map<string, number>();
    const ids = new Set([...session.trending.keys(), ...tallies.keys()]);
    for (const id of ids) {
      const now = tallies.get(id);
      const before = session.tallies.get(id);
      const change = now ? now.up - now.down - (before ? before.up - before.down : 0) : 0;
      const value =
        decayTrending(session.trending.get(id) ?? 0, session.trendingAt, at, halfLife) + change;
      // A value decayed below any rounding is dropped (0), not kept shrinking forever.
      if (Math.abs(value) >= 1e-6) next.set(id, value);
    }
    return next;
  }

  private talliesChanged(
    llms: readonly RankableLlm[],
    now: ReadonlyMap<string, VoteCounts>,
    before: ReadonlyMap<string, VoteCounts>,
  ): boolean {
    return llms.some((l) => {
      const a = now.get(l.id);
      const b = before.get(l.id);
      return (a?.up ?? 0) !== (b?.up ?? 0) || (a?.down ?? 0) !== (b?.down ?? 0);
    });
  }
}
