import {
  type BoardKey,
  type Llm,
  type LlmCategory,
  type RankingEntry,
  type RankingRules,
  type LiveWindow,
  LiveWireDecoder,
  type RankingSort,
  boardKey,
  bucketWindow,
  isLiveWireMessage,
} from '@llmpt/shared';

import { isClientFault } from '../errors.ts';
import type { ConfigFeed } from './config-feed.ts';
import type { ConnectionStore } from './connection-store.ts';
import { followTransport } from './follow-transport.ts';
import {
  type BoardInput,
  type LiveApi,
  type LiveRankingRow,
  type TrackedMessage,
  fromListRow,
} from './live-contract.ts';
import { applyMessage, rowsFromEntries } from './rankings-merge.ts';
import { backoffWithJitter } from './transport-switch.ts';

export interface LiveRankingsState {
  /** The board in rank order. */
  rows: LiveRankingRow[];
  /** True until the first rows arrive (from the list or the live feed). */
  loading: boolean;
  /** The latest failure (subscription, poll, catalogue read); null again once data flows. */
  error: unknown;
  /** Id of the last live message applied: resubscriptions resume after it. */
  lastEventId: string | null;
  /**
   * When the standings shown were last known current (ms since epoch): the ranker's time of the
   * last live message (a quiet board keeps it), or the time of the last poll. Null until then.
   */
  updatedAt: number | null;
  /** The ranker's rules (RANK_MIN_VOTES, half-life), from the last snapshot that stated them. */
  rules: RankingRules | null;
}

export interface LiveRankingsBoardOptions {
  api: LiveApi;
  store: ConnectionStore;
  sort: RankingSort;
  category?: LlmCategory | undefined;
  /** `rankings.list` period when no push transport works. */
  pollEveryMs?: number;
  /** Delay before resubscribing after a subscription ended with an error (attempt 0-based). */
  retryDelayMs?: (attempt: number) => number;
  /** Told of every `config` message (the tab's flags follow it). */
  config?: ConfigFeed;
  /** The models each diff or snapshot carried (hidden results re-read the voter's tallies). */
  onEntries?: (llmIds: readonly string[]) => void;
  /**
   * The ranks on screen: subscribes to `rankings.liveWindow` (the compact form, issue 16)
   * instead of `rankings.live`; `setWindow` follows scrolling. Absent: the verbose feed.
   */
  window?: LiveWindow;
}

/** Catalogue re-reads for unknown models: at most this often. */
const CATALOGUE_MIN_AGE_MS = 10_000;

/**
 * One leaderboard kept current, without React: follows the store's transport, subscribing to
 * `rankings.live` (ws or SSE, resuming after `lastEventId` when it has to resubscribe) or
 * polling `rankings.list`. Names and vendors come from `rankings.list` (live entries carry ids
 * only), read again with `{ catalogue: v }` whenever a `config` message reports a catalogue
 * version newer than the one held (an admin renamed, added or retired a model): a new URL, so no
 * cache serves the old names. `useLiveRankings` is a thin wrapper; tests drive this directly.
 */
export class LiveRankingsBoard {
  private state: LiveRankingsState = {
    rows: [],
    loading: true,
    error: null,
    lastEventId: null,
    updatedAt: null,
    rules: null,
  };
  private readonly listeners = new Set<() => void>();
  private readonly board: BoardKey;
  private entries: Map<string, RankingEntry> | null = null;
  private readonly catalogue = new Map<string, Llm>();
  private catalogueLoaded = false;
  private catalogueReadAt = -Infinity;
  /** The catalogue version the names were read at; null: unknown (read before any `config`). */
  private catalogueVersion: number | null = null;
  /** Bumped by every catalogue read: only the newest one's answer is kept. */
  private catalogueReads = 0;
  /** Live entries the last full read didn't list (retired): left out without asking again. */
  private readonly missing = new Set<string>();
  /** Bumped whenever the feed changes: callbacks of an older feed are ignored. */
  private generation = 0;
  private teardown: (() => void) | null = null;
  private unfollow: (() => void) | null = null;
  private retries = 0;
  private onEntries: ((llmIds: readonly string[]) => void) | undefined;
  /** The window bucket subscribed to (compact feed); null: the verbose feed. */
  private window: LiveWindow | null;
  /** Whether the current feed is a subscription (not polling, not stopped). */
  private subscribed = false;

  constructor(private readonly opts: LiveRankingsBoardOptions) {
    this.board = boardKey(opts.sort, opts.category);
    this.onEntries = opts.onEntries;
    this.window = opts.window && opts.api.rankings.liveWindow ? bucketWindow(opts.window) : null;
  }

  /**
   * The ranks now on screen (the page scrolled). Within the same bucket of 25 ranks nothing
   * happens; otherwise a live feed resubscribes for the new window (a compact snapshot first).
   */
  setWindow(window: LiveWindow): void {
    if (this.window === null) return;
    const next = bucketWindow(window);
    if (next.from === this.window.from && next.to === this.window.to) return;
    this.window = next;
    if (this.subscribed) {
      this.stopFeed();
      this.startLive();
    }
  }

  /** The window bucket the feed follows (null: the verbose feed, every entry). */
  get followedWindow(): LiveWindow | null {
    return this.window;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): LiveRankingsState => this.state;

  /** Replaces the `onEntries` listener (a component's latest callback). */
  setOnEntries(listener: ((llmIds: readonly string[]) => void) | undefined): void {
    this.onEntries = listener;
  }

  /** Idempotent; `stop` then `start` again is fine (React StrictMode does exactly that). */
  start(): void {
    if (this.unfollow) return;
    this.unfollow = followTransport(this.opts.store, {
      stop: () => this.stopFeed(),
      live: () => this.startLive(),
      poll: () => this.startPolling(),
    });
    if (!this.catalogueLoaded) void this.readCatalogue();
  }

  stop(): void {
    this.unfollow?.();
    this.unfollow = null;
  }

  private stopFeed(): void {
    this.generation += 1;
    this.subscribed = false;
    this.teardown?.();
    this.teardown = null;
  }

  private startLive(): void {
    const generation = this.generation;
    const current = () => generation === this.generation;
    // After a switch of transport the new link starts afresh: hand it our position. (Within one
    // transport the stock links resume by themselves: wsLink resends the last tracked id on
    // reconnect and EventSource sends Last-Event-ID.)
    const input = { ...this.input(), lastEventId: this.state.lastEventId ?? undefined };
    const handlers = {
      onError: (error: unknown) => {
        if (!current()) return;
        this.update({ error });
        // A 4xx (bad input) would fail the same way again.
        if (!isClientFault(error)) this.resubscribeLater(generation);
      },
      // The server ended the stream (shutting down): come back, from where we were.
      onComplete: () => {
        if (current()) this.resubscribeLater(generation);
      },
    };
    const liveWindow = this.opts.api.rankings.liveWindow;
    let subscription: { unsubscribe(): void };
    if (this.window && liveWindow) {
      // One decoder per stream: its model table starts with the stream's snapshot.
      const decoder = new LiveWireDecoder(this.board);
      subscription = liveWindow.subscribe(
        { ...input, window: this.window },
        {
          ...handlers,
          onData: ({ id, data }) => {
            if (!current()) return;
            if (!isLiveWireMessage(data)) return this.apply({ id, data });
            let message;
            try {
              message = decoder.decode(id, data);
            } catch (error) {
              // Out of step (should not happen): start over, with a fresh snapshot.
              this.update({ error });
              this.stopFeed();
              this.startLive();
              return;
            }
            this.apply({ id, data: message });
          },
        },
      );
    } else {
      subscription = this.opts.api.rankings.live.subscribe(input, {
        ...handlers,
        onData: (message) => {
          if (current()) this.apply(message);
        },
      });
    }
    this.subscribed = true;
    this.teardown = () => subscription.unsubscribe();
  }

  private resubscribeLater(generation: number): void {
    const delay = (this.opts.retryDelayMs ?? backoffWithJitter)(this.retries++);
    const timer = setTimeout(() => {
      if (generation !== this.generation) return;
      this.stopFeed();
      this.startLive();
    }, delay);
    this.teardown = () => clearTimeout(timer);
  }

  private startPolling(): void {
    const generation = this.generation;
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const started = performance.now();
      try {
        const listed = await this.opts.api.rankings.list.query(this.input(), {
          signal: ac.signal,
        });
        const rows = listed.map(fromListRow);
        if (generation !== this.generation) return;
        this.opts.store.recordLatency(performance.now() - started, 'polling');
        this.learn(rows);
        this.update({ rows, loading: false, error: null, updatedAt: Date.now() });
        this.onEntries?.(rows.map((r) => r.llm.id));
      } catch (error) {
        if (generation !== this.generation) return;
        this.update({ error });
      }
      timer = setTimeout(() => void poll(), this.opts.pollEveryMs ?? 5_000);
    };
    void poll();
    this.teardown = () => {
      clearTimeout(timer);
      ac.abort();
    };
  }

  private apply(message: TrackedMessage): void {
    this.retries = 0;
    if (message.data.type === 'config') {
      this.opts.config?.note(message.data.config);
      this.onCatalogue(message.data.config.catalogue);
      return;
    }
    const entries = applyMessage(this.entries, message.data);
    // Nothing published yet (the feed's snapshot before the ranker's first tick is empty): keep
    // the rows of `rankings.list`, which the api ranks from the tallies by the same rule.
    this.entries = entries.size > 0 ? entries : null;
    const data = message.data;
    const carried = data.type === 'snapshot' ? data.snapshot.entries : data.diff.entries;
    if (carried.length > 0) this.onEntries?.(carried.map((e) => e.llmId));
    const at =
      data.type === 'snapshot' ? data.snapshot.at : data.type === 'diff' ? data.diff.at : 0;
    // A feed with nothing published yet sends at 0: nothing to show then.
    const updatedAt = at > 0 ? at : this.state.updatedAt;
    const rules = (data.type === 'snapshot' ? data.snapshot.rules : null) ?? this.state.rules;
    this.state = { ...this.state, lastEventId: message.id, error: null, updatedAt, rules };
    this.render();
  }

  /**
   * A `config` message's catalogue version. Names read before the first one have no known
   * version (the change may have landed between the read and the subscription), so the first
   * one always re-reads; later ones only when newer.
   */
  private onCatalogue(version: number): void {
    if (this.catalogueVersion !== null && version <= this.catalogueVersion) return;
    void this.readCatalogue(version);
  }

  private render(): void {
    if (!this.entries) return;
    const { rows, unknown } = rowsFromEntries(this.entries, this.board, this.catalogue);
    // A model added since the last read (its first votes may beat the `config` message here).
    if (unknown.some((id) => !this.missing.has(id))) void this.readCatalogue();
    this.update({ rows, loading: !this.catalogueLoaded });
  }

  /**
   * Reads names and vendors (the whole board's: a model it no longer lists is retired and leaves
   * the board); until the first live message its rows are the board too. Without a version (an
   * unknown model showed up) at most every 10 s; with one, at once.
   */
  private async readCatalogue(version?: number): Promise<void> {
    if (version === undefined && Date.now() - this.catalogueReadAt < CATALOGUE_MIN_AGE_MS) return;
    this.catalogueReadAt = Date.now();
    const read = ++this.catalogueReads;
    try {
      const input = version === undefined ? this.input() : { ...this.input(), catalogue: version };
      const rows = (await this.opts.api.rankings.list.query(input)).map(fromListRow);
      if (read !== this.catalogueReads) return;
      if (version !== undefined) this.catalogueVersion = version;
      this.learn(rows);
      if (this.entries) this.render();
      else this.update({ rows, loading: false });
    } catch (error) {
      // The live feed or the poller carries on; the next `config` message or unknown model
      // triggers another read.
      if (read === this.catalogueReads) this.update({ error });
    }
  }

  /** A full read of the board's models: replaces the names, renamed and retired ones included. */
  private learn(rows: readonly LiveRankingRow[]): void {
    this.catalogue.clear();
    for (const row of rows) this.catalogue.set(row.llm.id, row.llm);
    this.missing.clear();
    for (const id of this.entries?.keys() ?? []) {
      if (!this.catalogue.has(id)) this.missing.add(id);
    }
    this.catalogueLoaded = true;
  }

  private input(): BoardInput {
    return this.opts.category
      ? { sort: this.opts.sort, category: this.opts.category }
      : { sort: this.opts.sort };
  }

  private update(patch: Partial<LiveRankingsState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of [...this.listeners]) listener();
  }
}
