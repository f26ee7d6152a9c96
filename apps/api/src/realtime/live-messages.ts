import type {
  BoardKey,
  ConfigVersions,
  LiveMessage,
  LiveWindow,
  LiveWireMessage,
  RankingEntry,
  RankingsDiff,
  RankingsSnapshot,
} from '@llmpt/shared';
import { bucketWindow, configMoved } from '@llmpt/shared';
import type { ConfigChannel } from '@llmpt/vote-store';
import { tracked } from '@trpc/server';

import type { Metrics } from '../metrics.ts';
import { BoardWindow } from './board-window.ts';
import { type FeedMessage, type RankingsFeed, compareIds } from './rankings-feed.ts';

export type { LiveMessage } from '@llmpt/shared';
export { configMoved };

/** Where a subscription hears of admin changes (the process's ConfigChannel). */
export type ConfigSource = Pick<ConfigChannel, 'versions' | 'onChange'>;

/** Keeps the entries a room shows, each with only that room's rank. */
export type EntryFilter = (e: RankingEntry) => RankingEntry | null;

export function boardFilter(board: BoardKey): EntryFilter {
  return (e) => {
    const rank = e.ranks[board];
    return rank === undefined ? null : { ...e, ranks: { [board]: rank } };
  };
}

export function modelFilter(llmId: string): EntryFilter {
  return (e) => (e.llmId === llmId ? e : null);
}

export function project<T extends RankingsSnapshot | RankingsDiff>(m: T, filter: EntryFilter): T {
  return { ...m, entries: m.entries.flatMap((e) => filter(e) ?? []) };
}

/**
 * The messages of one subscription: a snapshot (or the diffs missed since `lastEventId`), then
 * live diffs, each `tracked` with its global id so the stock client resumes on any instance.
 * Listens to the feed BEFORE reading the backlog, so nothing falls between the two.
 * With `config`: a `config` message right after the snapshot or replay, and one on every admin
 * change, tracked with the id of the last message sent (a resume then starts from the same
 * place as without it).
 */
export async function* liveMessages(
  feed: RankingsFeed,
  filter: EntryFilter,
  signal: AbortSignal | undefined,
  lastEventId: string | undefined,
  metrics: { metrics: Metrics; room: 'board' | 'model'; config?: ConfigSource },
) {
  const { subscriptions, liveMessages: sent$ } = metrics.metrics;
  subscriptions.inc({ room: metrics.room });
  const emit = (id: string, message: LiveMessage) => {
    sent$.inc({ kind: message.type });
    return tracked(id, message);
  };
  const inbox = new LiveInbox<never>(feed, metrics.config, signal);
  try {
    let sent = '0-0';
    const missed = lastEventId ? await feed.missedSince(lastEventId) : null;
    if (missed === null) {
      const snapshot = project(feed.snapshot(), filter);
      sent = snapshot.id;
      yield emit(snapshot.id, { type: 'snapshot', snapshot });
    } else {
      for (const d of missed) {
        sent = d.id;
        const diff = project(d, filter);
        if (diff.entries.length > 0) yield emit(diff.id, { type: 'diff', diff });
      }
      sent = lastEventId && missed.length === 0 ? lastEventId : sent;
    }
    const firstConfig = inbox.firstConfig();
    if (firstConfig) yield emit(sent, firstConfig);
    for await (const m of inbox.messages()) {
      if (m.type === 'config') {
        yield emit(sent, m);
      } else if (m.type === 'snapshot') {
        const snapshot = project(m.snapshot, filter);
        sent = snapshot.id;
        yield emit(snapshot.id, { type: 'snapshot', snapshot });
      } else if (compareIds(m.diff.id, sent) > 0) {
        sent = m.diff.id;
        const diff = project(m.diff, filter);
        if (diff.entries.length > 0) yield emit(diff.id, { type: 'diff', diff });
      }
    }
  } finally {
    subscriptions.dec({ room: metrics.room });
    inbox.close();
  }
}

/**
 * A windowed board subscription over SSE or in process (issue 16): the same compact messages a
 * ws room sends (`BoardWindow`, one per subscriber here). Always starts with a snapshot (a
 * `lastEventId` is not replayed: what was held back is not in the stream's diffs), then a
 * `config` message, then diffs; held-back entries follow within `LIVE_OUTSIDE_WINDOW_MS`.
 */
export async function* liveWireMessages(
  feed: RankingsFeed,
  board: BoardKey,
  filter: EntryFilter,
  window: LiveWindow,
  signal: AbortSignal | undefined,
  metrics: { metrics: Metrics; config?: ConfigSource },
) {
  const { subscriptions, liveMessages: sent$ } = metrics.metrics;
  subscriptions.inc({ room: 'board' });
  const inbox = new LiveInbox<{ type: 'flush' }>(feed, metrics.config, signal);
  const wire = new BoardWindow(board, filter, bucketWindow(window)).init(feed.snapshot());
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (timer || !wire.holding) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        inbox.push({ type: 'flush' });
      },
      Math.max(0, wire.dueAt - Date.now()) + 20,
    );
  };
  const emit = (id: string, message: LiveWireMessage | LiveMessage, kind: LiveMessage['type']) => {
    sent$.inc({ kind });
    return tracked<LiveWireMessage | LiveMessage>(id, message);
  };
  try {
    const first = wire.snapshot();
    yield emit(first.id, first.message, 'snapshot');
    const firstConfig = inbox.firstConfig();
    if (firstConfig) yield emit(wire.id, firstConfig, 'config');
    for await (const m of inbox.messages()) {
      if (m.type === 'config') {
        yield emit(wire.id, m, 'config');
        continue;
      }
      const out =
        m.type === 'flush' ? (Date.now() >= wire.dueAt ? wire.flush() : null) : wire.apply(m);
      arm();
      if (out) yield emit(out.id, out.message, m.type === 'snapshot' ? 'snapshot' : 'diff');
    }
  } finally {
    clearTimeout(timer);
    subscriptions.dec({ room: 'board' });
    inbox.close();
  }
}

type ConfigMessage = { type: 'config'; config: ConfigVersions };

/**
 * What a live subscription generator waits on, in arrival order: the feed's messages, admin
 * config changes (only those that move a version past what was sent) and the caller's own
 * (`push`). Listens from construction, so nothing between the backlog and the loop is lost;
 * `messages()` ends when `signal` aborts. `close()` stops listening.
 */
class LiveInbox<Own extends { type: string }> {
  private readonly queue: Array<FeedMessage | ConfigMessage | Own> = [];
  private wake: (() => void) | null = null;
  private configSent: ConfigVersions | null = null;
  private readonly off: () => void;
  private readonly offConfig: (() => void) | undefined;
  private readonly onAbort = () => this.wake?.();
  private readonly config: ConfigSource | undefined;
  private readonly signal: AbortSignal | undefined;

  constructor(feed: RankingsFeed, config: ConfigSource | undefined, signal?: AbortSignal) {
    this.config = config;
    this.signal = signal;
    this.off = feed.onMessage((m) => this.push(m));
    this.offConfig = config?.onChange((versions) =>
      this.push({ type: 'config', config: versions }),
    );
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  push(m: FeedMessage | ConfigMessage | Own): void {
    this.queue.push(m);
    this.wake?.();
  }

  /** The `config` message that follows the snapshot or replay (none without a config source). */
  firstConfig(): ConfigMessage | null {
    if (!this.config) return null;
    this.configSent = this.config.versions;
    return { type: 'config', config: this.configSent };
  }

  async *messages(): AsyncGenerator<FeedMessage | ConfigMessage | Own> {
    while (!this.signal?.aborted) {
      if (this.queue.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      for (const m of this.queue.splice(0)) {
        if (m.type === 'config') {
          const { config } = m as ConfigMessage;
          if (!configMoved(this.configSent, config)) continue;
          this.configSent = config;
        }
        yield m;
      }
    }
  }

  close(): void {
    this.off();
    this.offConfig?.();
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
