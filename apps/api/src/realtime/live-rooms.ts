import {
  type ConfigVersions,
  boardKey,
  bucketWindow,
  llmLiveInputSchema,
  rankingsLiveInputSchema,
  rankingsLiveWindowInputSchema,
} from '@llmpt/shared';
import { TRPCError } from '@trpc/server';
import type { WebSocket } from 'ws';

import type { Context, Deps } from '../context.ts';
import { appError } from '../errors.ts';
import { resultsSealed } from '../flags/fingerprint.ts';
import { sealedFilter } from '../flags/sealed.ts';
import { type RequestId, errorShape, wsMessage, wsTrackedFrame } from '../trpc-wire.ts';
import { BoardWindow } from './board-window.ts';
import {
  type EntryFilter,
  type LiveMessage,
  boardFilter,
  modelFilter,
  project,
} from './live-messages.ts';
import { type FeedMessage, compareIds } from './rankings-feed.ts';
import { MAX_BUFFERED_BYTES } from './ws-guard.ts';
import { textFrame, writeFrame } from './ws-frames.ts';

interface Member {
  socket: WebSocket;
  id: RequestId;
  jsonrpc: boolean;
  /** Members whose request id and jsonrpc flag match receive the very same frame. */
  frameKey: string;
  /** Until its snapshot or replay is sent, a member's live frames (ws frames) wait here. */
  pending: Array<{ id: string; frame: Buffer }> | null;
  sent: string;
}

/** The live subscriptions one socket holds, by request id, and those still being set up. */
export interface OwnedSubscriptions {
  members: Map<RequestId, Member>;
  joining: Set<RequestId>;
}

export function ownedSubscriptions(): OwnedSubscriptions {
  return { members: new Map(), joining: new Set() };
}

/** The subscriptions served here rather than by tRPC's handler. */
type LivePath = 'rankings.live' | 'rankings.liveWindow' | 'llm.live';
const LIVE_PATHS = new Set<LivePath>(['rankings.live', 'rankings.liveWindow', 'llm.live']);

/** What `handle` did with a client message. */
export type Handled = 'handled' | 'not_ours' | 'over_limit';

interface Room {
  kind: 'board' | 'model';
  filter: EntryFilter;
  members: Set<Member>;
  /** A windowed board room (compact wire form): its board, followed once for all members. */
  wire?: BoardWindow;
  /** Sends the held-back entries of `wire` when no diff has taken them along. */
  flushTimer?: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Fan-out of the live rankings over WebSocket. DESIGN.md measured one async generator per
 * subscriber at 754 ms p50 to 10,000 clients (raw ws: 169 ms): the cost is the per-subscriber
 * iterator and promise chain. Here each diff is projected and serialized ONCE per room, framed
 * (tRPC envelope and WebSocket header) once per distinct request id, and the same Buffer is
 * written to every socket of the room (ws-frames.ts: as Socket.IO does).
 * The wire format is tRPC's (`started`, tracked `data`, `stopped`), so the stock `wsLink` works.
 * SSE and in-process callers keep using the generator procedures.
 */
export class LiveRooms {
  private readonly rooms = new Map<string, Room>();
  /**
   * The serialized snapshot message per room key, for the feed version it was made at: a wave
   * of (re)connecting subscribers (a deploy, a network blip) costs one projection and one
   * JSON.stringify of ~10 KB per room and version, not one per subscriber.
   */
  private readonly snapshots = new Map<string, { feedId: string; id: string; data: string }>();

  constructor(private readonly deps: Deps) {
    deps.feed.onMessage((m) => this.broadcast(m));
    deps.config.onChange((versions) => this.broadcastConfig(versions));
  }

  /**
   * Handles a client message if it belongs to a live subscription. 'over_limit': it would be
   * the socket's subscription number `maxPerSocket + 1` (nothing was done; the caller closes).
   */
  handle(
    socket: WebSocket,
    msg: unknown,
    owned: OwnedSubscriptions,
    maxPerSocket: number,
    /** The socket's context: whose flags decide a board room's variant (sealed or open). */
    context?: () => Context,
  ): Handled {
    if (typeof msg !== 'object' || msg === null) return 'not_ours';
    const { id, method, params, jsonrpc } = msg as {
      id?: unknown;
      method?: unknown;
      params?: { path?: unknown; input?: unknown; lastEventId?: unknown };
      jsonrpc?: unknown;
    };
    if (typeof id !== 'number' && typeof id !== 'string') return 'not_ours';
    if (method === 'subscription.stop') {
      const member = owned.members.get(id);
      if (!member) return 'not_ours';
      this.leave(member, owned);
      this.respond(socket, id, jsonrpc === '2.0', { result: { type: 'stopped' } });
      return 'handled';
    }
    const path = params?.path;
    if (method !== 'subscription' || !LIVE_PATHS.has(path as LivePath)) return 'not_ours';
    // Counted synchronously (joins are async): a burst of requests cannot slip past the cap.
    if (owned.members.size + owned.joining.size >= maxPerSocket) return 'over_limit';
    void this.join(socket, id, jsonrpc === '2.0', path as LivePath, params, owned, context);
    return 'handled';
  }

  /** Live subscriptions held by sockets of this process. */
  count(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.members.size;
    return n;
  }

  /** Drops every subscription of a closed socket. */
  closeAll(owned: OwnedSubscriptions): void {
    for (const member of owned.members.values()) this.leave(member, owned);
    owned.joining.clear();
  }

  private async join(
    socket: WebSocket,
    id: RequestId,
    jsonrpc: boolean,
    path: LivePath,
    params: { input?: unknown; lastEventId?: unknown } | undefined,
    owned: OwnedSubscriptions,
    context?: () => Context,
  ): Promise<void> {
    const raw = params?.input;
    const withResume =
      params?.lastEventId === undefined
        ? raw
        : {
            ...(typeof raw === 'object' && raw !== null ? raw : {}),
            lastEventId: params.lastEventId,
          };
    if (owned.members.has(id) || owned.joining.has(id)) {
      const error = new TRPCError({ code: 'BAD_REQUEST', message: `Duplicate id ${id}` });
      const shape = errorShape({
        cause: error,
        type: 'subscription',
        path,
        input: raw,
        ctx: undefined,
      });
      return this.respond(socket, id, jsonrpc, { error: shape });
    }
    owned.joining.add(id);
    try {
      let roomKey: string;
      let room: Omit<Room, 'members'>;
      let lastEventId: string | undefined;
      let makeWire: (() => BoardWindow) | undefined;
      if (path === 'rankings.live' || path === 'rankings.liveWindow') {
        const windowed =
          path === 'rankings.liveWindow'
            ? parseOrThrow(rankingsLiveWindowInputSchema, withResume)
            : undefined;
        const input = windowed ?? parseOrThrow(rankingsLiveInputSchema, withResume);
        const board = boardKey(input?.sort ?? 'score', input?.category);
        // A voter with 'hide-results' on joins the board's sealed room (tallies withheld).
        const sealed = context !== undefined && resultsSealed(context());
        roomKey = sealed ? `board:${board}:sealed` : `board:${board}`;
        room = {
          kind: 'board',
          filter: sealed ? sealedFilter(boardFilter(board)) : boardFilter(board),
        };
        lastEventId = input?.lastEventId;
        if (windowed) {
          // Compact form: one room per board and window bucket; a resume gets a snapshot.
          const window = bucketWindow(windowed.window);
          roomKey += `|${window.from}-${window.to}`;
          const { filter } = room;
          makeWire = () => {
            const now = this.deps.feed.snapshot();
            return new BoardWindow(board, filter, window).init(now);
          };
          lastEventId = undefined;
        }
      } else {
        const input = parseOrThrow(llmLiveInputSchema, withResume);
        if (!(await this.deps.catalogue.get(input.id))) {
          throw appError('UNKNOWN_MODEL', `No model with id "${input.id}"`);
        }
        roomKey = `model:${input.id}`;
        room = { kind: 'model', filter: modelFilter(input.id) };
        lastEventId = input.lastEventId;
      }
      if (socket.readyState !== socket.OPEN || !owned.joining.has(id)) return;

      // Join first (frames queue up), then read the backlog: nothing falls in between.
      const member: Member = {
        socket,
        id,
        jsonrpc,
        frameKey: `${JSON.stringify(id)}|${jsonrpc}`,
        pending: [],
        sent: '0-0',
      };
      const target = this.rooms.get(roomKey) ?? {
        ...room,
        members: new Set<Member>(),
        ...(makeWire ? { wire: makeWire() } : {}),
      };
      this.rooms.set(roomKey, target);
      target.members.add(member);
      owned.joining.delete(id);
      owned.members.set(id, member);
      this.deps.metrics.subscriptions.inc({ room: room.kind });
      this.respond(socket, id, jsonrpc, { result: { type: 'started' } });

      const feed = this.deps.feed;
      const missed = lastEventId ? await feed.missedSince(lastEventId) : null;
      if (missed === null) {
        let cached = this.snapshots.get(roomKey);
        if (cached?.feedId !== feed.id) {
          if (target.wire) {
            const out = target.wire.snapshot();
            cached = { feedId: feed.id, id: out.id, data: JSON.stringify(out.message) };
          } else {
            const snapshot = project(feed.snapshot(), room.filter);
            const message: LiveMessage = { type: 'snapshot', snapshot };
            cached = { feedId: feed.id, id: snapshot.id, data: JSON.stringify(message) };
          }
          this.snapshots.set(roomKey, cached);
        }
        this.deps.metrics.liveBytes.inc(
          this.write(member, cached.id, dataFrame(member, cached.id, cached.data)),
        );
        this.deps.metrics.liveMessages.inc({ kind: 'snapshot' });
      } else {
        member.sent = lastEventId ?? '0-0';
        for (const d of missed) {
          const diff = project(d, room.filter);
          if (diff.entries.length > 0) this.sendData(member, diff.id, { type: 'diff', diff });
          member.sent = d.id;
        }
      }
      // What admins changed: a page that resumed learns what it missed. Tracked with the id
      // just sent, so a resume from it starts where it would have without this message.
      this.sendData(member, member.sent, { type: 'config', config: this.deps.config.versions });
      for (const p of member.pending ?? []) {
        if (compareIds(p.id, member.sent) > 0) {
          this.deps.metrics.liveBytes.inc(this.write(member, p.id, p.frame));
        }
      }
      member.pending = null;
    } catch (cause) {
      const shape = errorShape({ cause, type: 'subscription', path, input: raw, ctx: undefined });
      this.respond(socket, id, jsonrpc, { error: shape });
    } finally {
      owned.joining.delete(id);
    }
  }

  private leave(member: Member, owned: OwnedSubscriptions): void {
    owned.members.delete(member.id);
    for (const [key, room] of this.rooms) {
      if (!room.members.delete(member)) continue;
      this.deps.metrics.subscriptions.dec({ room: room.kind });
      if (room.members.size === 0) {
        this.rooms.delete(key);
        this.snapshots.delete(key);
        clearTimeout(room.flushTimer);
      }
      return;
    }
  }

  private broadcast(m: FeedMessage): void {
    const { metrics } = this.deps;
    const id = m.type === 'snapshot' ? m.snapshot.id : m.diff.id;
    // A reload may keep the id while windowed rooms' tables grow: no cached snapshot survives it.
    if (m.type === 'snapshot') this.snapshots.clear();
    for (const room of this.rooms.values()) {
      let data: string;
      if (room.wire) {
        const out = room.wire.apply(m);
        this.armFlush(room);
        if (!out) continue;
        data = JSON.stringify(out.message);
      } else if (m.type === 'snapshot') {
        data = JSON.stringify({
          type: 'snapshot',
          snapshot: project(m.snapshot, room.filter),
        } satisfies LiveMessage);
      } else {
        const diff = project(m.diff, room.filter);
        if (diff.entries.length === 0) continue;
        data = JSON.stringify({ type: 'diff', diff } satisfies LiveMessage);
      }
      const frames = new Map<string, Buffer>();
      let bytes = 0;
      // Nearly every member was last sent the same id: compare it once, not once per socket.
      let lastSent = '';
      let newer = false;
      for (const member of room.members) {
        let frame = frames.get(member.frameKey);
        if (!frame) {
          frame = dataFrame(member, id, data);
          frames.set(member.frameKey, frame);
        }
        if (member.pending) {
          member.pending.push({ id, frame });
          continue;
        }
        if (member.sent !== lastSent) {
          lastSent = member.sent;
          newer = compareIds(id, lastSent) > 0;
        }
        if (m.type === 'snapshot' || newer) bytes += this.write(member, id, frame);
      }
      // One metrics update per room, not per socket: this loop runs for every subscriber.
      metrics.liveMessages.inc({ kind: m.type }, room.members.size);
      if (bytes > 0) metrics.liveBytes.inc(bytes);
      if (m.type === 'diff') metrics.diffBytes.observe(data.length);
    }
  }

  /**
   * A windowed room's timer for the entries it holds back: when they are due and no diff took
   * them along, one message carries them all, to every member that has had its snapshot (one
   * joining now gets current values in it). Tracked with the room's last id: they are as of it.
   */
  private armFlush(room: Room): void {
    const wire = room.wire;
    if (!wire || room.flushTimer || !wire.holding) return;
    room.flushTimer = setTimeout(
      () => {
        room.flushTimer = undefined;
        if (Date.now() >= wire.dueAt) {
          const out = wire.flush();
          if (out) this.writeAll(room, out.id, JSON.stringify(out.message));
        }
        this.armFlush(room);
      },
      Math.max(0, wire.dueAt - Date.now()) + 20,
    );
    room.flushTimer.unref();
  }

  /** One message to every member of a room that has had its snapshot, whatever it was sent. */
  private writeAll(room: Room, id: string, data: string): void {
    const frames = new Map<string, Buffer>();
    let bytes = 0;
    for (const member of room.members) {
      if (member.pending) continue;
      let frame = frames.get(member.frameKey);
      if (!frame) {
        frame = dataFrame(member, id, data);
        frames.set(member.frameKey, frame);
      }
      bytes += this.write(member, id, frame);
    }
    this.deps.metrics.liveMessages.inc({ kind: 'diff' }, room.members.size);
    if (bytes > 0) this.deps.metrics.liveBytes.inc(bytes);
  }

  /**
   * An admin change, to every member that has had its snapshot or replay (a joining one gets
   * the versions then). Encoded once; framed once per request id and last-sent id (a member's
   * tracked id is the last one it was sent, and nearly all members of a room share it).
   */
  private broadcastConfig(config: ConfigVersions): void {
    const data = JSON.stringify({ type: 'config', config } satisfies LiveMessage);
    const frames = new Map<string, Buffer>();
    let bytes = 0;
    let sent = 0;
    for (const room of this.rooms.values()) {
      for (const member of room.members) {
        if (member.pending) continue;
        const key = `${member.frameKey}|${member.sent}`;
        let frame = frames.get(key);
        if (!frame) {
          frame = dataFrame(member, member.sent, data);
          frames.set(key, frame);
        }
        bytes += this.write(member, member.sent, frame);
        sent++;
      }
    }
    if (sent > 0) this.deps.metrics.liveMessages.inc({ kind: 'config' }, sent);
    if (bytes > 0) this.deps.metrics.liveBytes.inc(bytes);
  }

  private sendData(member: Member, id: string, message: LiveMessage): void {
    this.deps.metrics.liveBytes.inc(
      this.write(member, id, dataFrame(member, id, JSON.stringify(message))),
    );
    this.deps.metrics.liveMessages.inc({ kind: message.type });
  }

  /**
   * Writes one ws frame (`dataFrame`); returns the bytes written (0 when the socket is gone or
   * dropped). A socket that has not read MAX_BUFFERED_BYTES of what it was sent is terminated.
   */
  private write(member: Member, id: string, frame: Buffer): number {
    const { socket } = member;
    if (socket.readyState !== socket.OPEN) return 0;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      socket.terminate();
      return 0;
    }
    writeFrame(socket, frame);
    member.sent = id;
    return frame.length;
  }

  private respond(socket: WebSocket, id: RequestId, jsonrpc: boolean, body: object): void {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(wsMessage(id, jsonrpc, body));
  }
}

/** A text frame (tRPC's JSON encoder refuses binary ones) of a tracked value, header included. */
function dataFrame(member: Member, trackedId: string, dataJson: string): Buffer {
  return textFrame(wsTrackedFrame(member.id, member.jsonrpc, trackedId, dataJson));
}

function parseOrThrow<T>(
  schema: {
    safeParse(v: unknown): { success: true; data: T } | { success: false; error: unknown };
  },
  value: unknown,
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'Invalid input', cause: parsed.error });
  return parsed.data;
}
