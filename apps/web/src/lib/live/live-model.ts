import type { RankingEntry } from '@llmpt/shared';

import { isClientFault } from '../errors.ts';
import type { ConfigFeed } from './config-feed.ts';
import type { ConnectionStore } from './connection-store.ts';
import { followTransport } from './follow-transport.ts';
import type { LiveSubscriptionHandlers, TrackedMessage } from './live-contract.ts';
import { backoffWithJitter } from './transport-switch.ts';

/** One model's standing as the model page shows it. */
export interface ModelStanding {
  up: number;
  down: number;
  score: number;
  wilson: number;
  /** Overall rank by score; null before the ranker has ranked the model. */
  rank: number | null;
}

/**
 * The procedures the model page's live data uses (see `LiveApi` for why they are written out):
 * the `llm.live` room, and `llm.byId` to poll when no subscription works.
 */
export interface LiveModelApi {
  llm: {
    live: {
      subscribe(
        input: { id: string; lastEventId?: string },
        opts: LiveSubscriptionHandlers,
      ): { unsubscribe(): void };
    };
    byId: {
      query(input: { id: string }, opts?: { signal?: AbortSignal }): Promise<ModelStanding>;
    };
  };
}

export interface LiveModelState {
  /** Null until the first message or poll (a feed not yet published sends no entry). */
  standing: ModelStanding | null;
  /** When `standing` arrived (this tab's clock, ms). */
  at: number | null;
  /** How the standing arrives now. */
  via: 'live' | 'polling';
  /** The latest failure; null again once data flows. */
  error: unknown;
}

export interface LiveModelOptions {
  api: LiveModelApi;
  store: ConnectionStore;
  id: string;
  pollEveryMs?: number;
  /** Delay before subscribing again after attempt `attempt` (0-based) failed. */
  retryDelayMs?: (attempt: number) => number;
  /** Told of every `config` message (the tab's flags follow it). */
  config?: ConfigFeed;
  /**
   * The catalogue changed (an admin edited or retired a model): the page re-reads the model's
   * details. Called for the first `config` message too (details read before it have no known
   * version), then for each newer version.
   */
  onCatalogue?: (version: number) => void;
}

const fromEntry = (e: RankingEntry): ModelStanding => ({
  up: e.up,
  down: e.down,
  score: e.score,
  wilson: e.wilson,
  rank: e.ranks.score ?? null,
});

/**
 * One model's live tally and rank: the `llm.live` subscription (ws or SSE, as the transport
 * switch decides, resuming from the last id), and while it is down, or the whole app is
 * polling, `llm.byId` every few seconds; a failed subscription is retried with backoff and
 * polling stops once it delivers again. Same shape as `LiveRankingsBoard`.
 */
export class LiveModel {
  private state: LiveModelState = { standing: null, at: null, via: 'live', error: null };
  private readonly listeners = new Set<() => void>();
  private generation = 0;
  private teardowns: Array<() => void> = [];
  private unfollow: (() => void) | null = null;
  private lastEventId: string | undefined;
  private retries = 0;
  private stopPoller: (() => void) | null = null;
  private catalogueVersion: number | null = null;
  private onCatalogue: ((version: number) => void) | undefined;

  constructor(private readonly opts: LiveModelOptions) {
    this.onCatalogue = opts.onCatalogue;
  }

  /** Replaces the `onCatalogue` listener (a component's latest callback). */
  setOnCatalogue(listener: ((version: number) => void) | undefined): void {
    this.onCatalogue = listener;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): LiveModelState => this.state;

  start(): void {
    if (this.unfollow) return;
    this.unfollow = followTransport(this.opts.store, {
      stop: () => this.stopFeed(),
      live: () => this.startLive(),
      poll: () => this.startPolling(),
    });
  }

  stop(): void {
    this.unfollow?.();
    this.unfollow = null;
  }

  private stopFeed(): void {
    this.generation += 1;
    for (const teardown of this.teardowns.splice(0)) teardown();
    this.stopPoller?.();
    this.stopPoller = null;
  }

  private startLive(): void {
    const generation = this.generation;
    const current = () => generation === this.generation;
    const input = this.lastEventId
      ? { id: this.opts.id, lastEventId: this.lastEventId }
      : { id: this.opts.id };
    const subscription = this.opts.api.llm.live.subscribe(input, {
      onData: (message: TrackedMessage) => {
        if (!current()) return;
        // Live again after a failure: the poller has done its job.
        this.stopPoller?.();
        this.stopPoller = null;
        this.retries = 0;
        const data = message.data;
        if (data.type === 'config') {
          this.opts.config?.note(data.config);
          const v = data.config.catalogue;
          if (this.catalogueVersion === null || v > this.catalogueVersion) {
            this.catalogueVersion = v;
            this.onCatalogue?.(v);
          }
          return;
        }
        this.lastEventId = message.id;
        const entries =
          data.type === 'snapshot'
            ? data.snapshot.entries
            : data.type === 'diff'
              ? data.diff.entries
              : [];
        const entry = entries.find((e) => e.llmId === this.opts.id);
        this.update({
          ...(entry ? { standing: fromEntry(entry), at: Date.now() } : {}),
          via: 'live',
          error: null,
        });
      },
      onError: (error) => {
        if (!current()) return;
        this.update({ error });
        // An unknown model: polling would answer 404 as well.
        if (!isClientFault(error)) this.fallBack();
      },
      // The server ended the stream (shutting down).
      onComplete: () => {
        if (current()) this.fallBack();
      },
    });
    this.teardowns.push(() => subscription.unsubscribe());
  }

  /** The subscription failed: poll, and subscribe again after a backoff (polling meanwhile). */
  private fallBack(): void {
    this.stopFeed();
    const generation = this.generation;
    this.startPolling();
    const delay = (this.opts.retryDelayMs ?? backoffWithJitter)(this.retries++);
    const timer = setTimeout(() => {
      if (generation === this.generation) this.startLive();
    }, delay);
    this.teardowns.push(() => clearTimeout(timer));
  }

  private startPolling(): void {
    const generation = this.generation;
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const { up, down, score, wilson, rank } = await this.opts.api.llm.byId.query(
          { id: this.opts.id },
          { signal: ac.signal },
        );
        if (generation !== this.generation || ac.signal.aborted) return;
        this.update({ standing: { up, down, score, wilson, rank }, at: Date.now(), error: null });
      } catch (error) {
        if (generation !== this.generation || ac.signal.aborted) return;
        this.update({ error });
      }
      timer = setTimeout(() => void poll(), this.opts.pollEveryMs ?? 5_000);
    };
    this.stopPoller = () => {
      clearTimeout(timer);
      ac.abort();
    };
    this.update({ via: 'polling' });
    void poll();
  }

  private update(patch: Partial<LiveModelState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of [...this.listeners]) listener();
  }
}
