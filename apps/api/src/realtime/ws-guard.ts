import { performance } from 'node:perf_hooks';

import type { WebSocket } from 'ws';

import type { Context, Deps } from '../context.ts';
import {
  type RequestId,
  cacheVersionOf,
  callProcedure,
  errorShape,
  httpResultBody,
  metricPath,
  variantOf,
  withVariant,
  wsMessage,
  wsResultFrame,
} from '../trpc-wire.ts';
import type { LiveRooms, OwnedSubscriptions } from './live-rooms.ts';

/** Close code of a socket that broke a limit (RFC 6455 "policy violation"), with a reason. */
export const WS_POLICY_VIOLATION = 1008;
/** A socket this far behind (unsent bytes) is dropped rather than buffered without bound. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * Everything one WebSocket may ask of this process, checked before any work is done: messages
 * per second (a token bucket), calls per message, live subscriptions per socket. A socket that
 * breaks one is closed with 1008 and a reason saying which limit; what it asked for is dropped.
 * Cacheable reads (`.meta({ cacheVersion })`) are answered from the same response cache as
 * HTTP: measured before these limits, one 15 KB frame of 250 `rankings.list` calls made 250
 * serializations (8.8 MB) and stalled /healthz for up to a second.
 *
 * A token bucket per socket is a few lines kept on the socket's own object, decided
 * synchronously on the message path: a keyed limiter (rate-limiter-flexible's memory store is
 * promise-based) would add a second lifetime to manage for state that dies with the socket.
 */
export class WsGuard {
  private tokens: number;
  private refilledAt = performance.now();
  private closed = false;
  private ctx: Context | undefined;

  constructor(
    private readonly deps: Deps,
    private readonly socket: WebSocket,
    private readonly rooms: LiveRooms,
    private readonly owned: OwnedSubscriptions,
    private readonly makeContext: () => Context,
  ) {
    this.tokens = deps.env.WS_MESSAGE_BURST;
  }

  /** What tRPC's handler gets of a client message: itself, the calls left for it, or null. */
  filter(data: Buffer, isBinary: boolean): Buffer | null {
    const { env } = this.deps;
    if (this.closed) return null;
    if (!this.take()) {
      return this.refuse(
        'messages',
        `too many messages: at most ${env.WS_MESSAGES_PER_SEC} per second`,
      );
    }
    if (isBinary) return data; // tRPC answers it with an error
    const text = data.toString('utf8');
    if (text === 'PING' || text === 'PONG') return data;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return data; // tRPC answers PARSE_ERROR
    }
    const msgs = Array.isArray(msg) ? (msg as unknown[]) : [msg];
    if (msgs.length > env.WS_MAX_CALLS_PER_MESSAGE) {
      return this.refuse(
        'calls',
        `too many calls in one message: at most ${env.WS_MAX_CALLS_PER_MESSAGE}`,
      );
    }
    const rest: unknown[] = [];
    for (const m of msgs) {
      const handled = this.rooms.handle(
        this.socket,
        m,
        this.owned,
        env.WS_MAX_SUBSCRIPTIONS,
        () => (this.ctx ??= this.makeContext()),
      );
      if (handled === 'over_limit') {
        return this.refuse(
          'subscriptions',
          `too many subscriptions: at most ${env.WS_MAX_SUBSCRIPTIONS} per connection`,
        );
      }
      if (handled === 'handled' || this.cachedRead(m)) continue;
      rest.push(m);
    }
    if (rest.length === msgs.length) return data;
    if (rest.length === 0) return null;
    return Buffer.from(JSON.stringify(Array.isArray(msg) ? rest : rest[0]));
  }

  private take(): boolean {
    const { WS_MESSAGES_PER_SEC: rate, WS_MESSAGE_BURST: burst } = this.deps.env;
    const now = performance.now();
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) * rate) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refuse(limit: 'messages' | 'calls' | 'subscriptions', reason: string): null {
    this.closed = true;
    this.deps.metrics.wsRefused.inc({ limit });
    this.rooms.closeAll(this.owned);
    // The reason travels in the close frame (at most 123 bytes), so the client can tell why.
    this.socket.close(WS_POLICY_VIOLATION, reason);
    return null;
  }

  /** Answers a cacheable query from the response cache; false: not one (tRPC gets it). */
  private cachedRead(m: unknown): boolean {
    if (typeof m !== 'object' || m === null) return false;
    const { id, method, params, jsonrpc } = m as {
      id?: unknown;
      method?: unknown;
      params?: { path?: unknown; input?: unknown };
      jsonrpc?: unknown;
    };
    if (method !== 'query' || (typeof id !== 'number' && typeof id !== 'string')) return false;
    const path = params?.path;
    if (typeof path !== 'string') return false;
    const version = cacheVersionOf(path, this.deps);
    if (version === null) return false;
    // A read that depends on the caller's flags is cached per variant (ProcedureMeta.variant).
    const variant = variantOf(path, () => (this.ctx ??= this.makeContext()));
    void this.answer(id, jsonrpc === '2.0', path, params?.input, version, variant);
    return true;
  }

  private async answer(
    id: RequestId,
    jsonrpc: boolean,
    path: string,
    input: unknown,
    baseVersion: string,
    variant: string | null,
  ): Promise<void> {
    const { responses, metrics } = this.deps;
    const stop = metrics.requestDuration.startTimer({ path: metricPath(path), type: 'ws-query' });
    const { key, version } = withVariant(
      `${path}?${input === undefined ? '' : JSON.stringify(input)}`,
      baseVersion,
      variant,
      this.deps,
    );
    let frame: Buffer | string;
    try {
      this.ctx ??= this.makeContext();
      const ctx = this.ctx;
      const entry = await responses.resolve(key, version, async () =>
        httpResultBody(await callProcedure({ path, type: 'query', input, ctx })),
      );
      frame = wsResultFrame(id, jsonrpc, entry.body);
      stop({ code: 'OK' });
    } catch (cause) {
      const shape = errorShape({ cause, type: 'query', path, input, ctx: this.ctx });
      stop({ code: shape.data.code });
      frame = wsMessage(id, jsonrpc, { error: shape });
    }
    const socket = this.socket;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) return void socket.terminate();
    socket.send(frame, { binary: false });
  }
}
