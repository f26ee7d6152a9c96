import { performance } from 'node:perf_hooks';

import { type Database, listLlms } from '@llmpt/db';
import {
  type RankableLlm,
  type RankingEntry,
  type VoteCounts,
  computeEntries,
  diffEntries,
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
}

/** What the leader knows of the published state; rebuilt from the snapshot on election. */
interface Session {
  /** The last published entries by model; null until read from the snapshot. */
  published: Map<string, RankingEntry> | null;
  /** The tallies those entries were computed from. */
  tallies: Map<string, VoteCounts>;
  /** The catalogue they were computed with (a reload may rename, recategorize or retire). */
  catalogue: RankableLlm[] | null;
  /** No snapshot existed: publish one even if no vote arrives. */
  mustPublish: boolean;
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
    this.lastDiffEntries = 0;
    if (!session.published) {
      // Continue from what the previous leader published, so a fail-over is not a full diff.
      const snapshot = await readRankingsSnapshot(redis, this.keys);
      session.published = new Map(snapshot?.entries.map((e) => [e.llmId, e]));
      session.tallies = countsOf(snapshot?.entries ?? []);
      session.mustPublish = snapshot === null;
    }

    const llms = await this.catalogue.get();
    const tallies = await store.tallies(llms.map((l) => l.id));
    if (
      !session.mustPublish &&
      session.catalogue === llms &&
      !this.talliesChanged(llms, tallies, session.tallies)
    ) {
      return;
    }

    const entries = computeEntries(llms, tallies);
    const diff = diffEntries(session.published, entries);
    // A retired model changes no entry when it ranked last, but the snapshot must drop it.
    const listed = new Set(entries.map((e) => e.llmId));
    const shrank = [...session.published.keys()].some((id) => !listed.has(id));
    if (diff.length > 0 || shrank || session.mustPublish) {
      // Lost the lease while reading: the new leader publishes; two writers would interleave.
      if (this.session !== session || !this.leader.isLeader) return;
      const at = Date.now();
      await publishRankings(
        redis,
        this.keys,
        { at, entries: diff },
        { at, entries },
        { maxLen: this.opts.streamMaxLen },
      );
      metrics.rankerDiffs.inc();
      metrics.rankerDiffEntries.observe(diff.length);
      this.lastDiffEntries = diff.length;
    }
    session.published = new Map(entries.map((e) => [e.llmId, e]));
    session.tallies = countsOf(entries);
    session.catalogue = llms;
    session.mustPublish = false;
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
