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
import { BoardWindow, type WireOut } from './board-window.ts';
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
  const queue: LiveMessage[] = [];
  let wake: (() => void) | null = null;
  const off = feed.onMessage((m: FeedMessage) => {
    queue.push(m);
    wake?.();
  });
  const config = metrics.config;
  const offConfig = config?.onChange((versions) => {
    queue.push({ type: 'config', config: versions });
    wake?.();
  });
  let configSent: ConfigVersions | null = null;
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
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
    if (config) {
      configSent = config.versions;
      yield emit(sent, { type: 'config', config: configSent });
    }
    while (!signal?.aborted) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      for (const m of queue.splice(0)) {
        if (m.type === 'config') {
          if (!configMoved(configSent, m.config)) continue;
          configSent = m.config;
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
    }
  } finally {
    subscriptions.dec({ room: metrics.room });
    off();
    offConfig?.();
    signal?.removeEventListener('abort', onAbort);
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
  type Queued = FeedMessage | { type: 'config'; config: ConfigVersions } | { type: 'flush' };
  const queue: Queued[] = [];
  let wake: (() => void) | null = null;
  const push = (m: Queued) => {
    queue.push(m);
    wake?.();
  };
  const off = feed.onMessage(push);
  const config = metrics.config;
  const offConfig = config?.onChange((versions) => push({ type: 'config', config: versions }));
  const now = feed.snapshot();
  const wire = new BoardWindow(board, filter, bucketWindow(window)).init(now);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (timer || !wire.holding) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        push({ type: 'flush' });
      },
      Math.max(0, wire.dueAt - Date.now()) + 20,
    );
  };
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  const emit = (out: WireOut, kind: 'snapshot' | 'diff') => {
    sent$.inc({ kind });
    return tracked<LiveWireMessage | LiveMessage>(out.id, out.message);
  };
  try {
    yield emit(wire.snapshot(), 'snapshot');
    let configSent: ConfigVersions | null = null;
    if (config) {
      configSent = config.versions;
      sent$.inc({ kind: 'config' });
      yield tracked<LiveWireMessage | LiveMessage>(wire.id, {
        type: 'config',
        config: configSent,
      });
    }
    while (!signal?.aborted) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      for (const m of queue.splice(0)) {
        if (m.type === 'config') {
          if (!configMoved(configSent, m.config)) continue;
          configSent = m.config;
          sent$.inc({ kind: 'config' });
          yield tracked<LiveWireMessage | LiveMessage>(wire.id, m);
          continue;
        }
        const out =
          m.type === 'flush' ? (Date.now() >= wire.dueAt ? wire.flush() : null) : wire.apply(m);
        arm();
        if (out) yield emit(out, m.type === 'snapshot' ? 'snapshot' : 'diff');
      }
    }
  } finally {
    clearTimeout(timer);
    subscriptions.dec({ room: 'board' });
    off();
    offConfig?.();
    signal?.removeEventListener('abort', onAbort);
  }
}
