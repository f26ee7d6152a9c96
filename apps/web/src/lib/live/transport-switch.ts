import { type TRPCWebSocketClient, createWSClient } from '@trpc/client';

import type { ConnectionStore } from './connection-store.ts';
import type { LiveTransport } from './live-contract.ts';

export interface TransportSwitchOptions {
  /** Absolute `ws:`/`wss:` URL of the tRPC endpoint. */
  wsUrl: string;
  store: ConnectionStore;
  /** WebSocket ponyfill (tests run on Node 20, which has none). */
  WebSocket?: typeof WebSocket;
  /** Delay before reconnect attempt `attempt` (0-based) of a dropped socket. */
  retryDelayMs?: (attempt: number) => number;
  keepAlive?: { intervalMs: number; pongTimeoutMs: number };
  /** Consecutive failed connection attempts before ws gives way to SSE. */
  maxWsFailures?: number;
  /** Consecutive SSE connection errors before SSE gives way to polling. */
  maxSseFailures?: number;
  /** While on SSE or polling, try a WebSocket again this often. */
  wsRetryEveryMs?: number;
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random), capped: after a server
 * restart the open tabs spread their reconnects instead of arriving in one burst.
 */
export function backoffWithJitter(attempt: number, baseMs = 500, maxMs = 10_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

interface WsHandle {
  client: TRPCWebSocketClient;
  /** The socket opened since its last close: a close after it is a drop, not a failed attempt. */
  openSinceClose: boolean;
  retired: boolean;
}

/**
 * Which transport live subscriptions use, as a small state machine:
 * ws ─(N failed attempts)→ sse ─(N connection errors or a fatal one)→ polling, and from sse or
 * polling a fresh WebSocket every `wsRetryEveryMs` that, once open, takes over again. The stock
 * `createWSClient` does the connecting, reconnecting and keep-alive; this only counts its
 * failures. Subscribers learn of a switch from the store's `transport` and resubscribe.
 */
export class TransportSwitch {
  private mode: LiveTransport = 'ws';
  private main: WsHandle | null;
  private probe: WsHandle | null = null;
  private probeTimer: ReturnType<typeof setInterval> | undefined;
  private wsFailures = 0;
  private sseFailures = 0;
  private everLive = false;
  private closed = false;
  private readonly canWs: boolean;
  private readonly opts: Required<Omit<TransportSwitchOptions, 'WebSocket'>> &
    Pick<TransportSwitchOptions, 'WebSocket'>;

  constructor(opts: TransportSwitchOptions) {
    // `??`, not a spread of defaults: an option passed as undefined still gets its default.
    this.opts = {
      ...opts,
      retryDelayMs: opts.retryDelayMs ?? ((attempt) => backoffWithJitter(attempt)),
      keepAlive: opts.keepAlive ?? { intervalMs: 5_000, pongTimeoutMs: 3_000 },
      maxWsFailures: opts.maxWsFailures ?? 3,
      maxSseFailures: opts.maxSseFailures ?? 3,
      wsRetryEveryMs: opts.wsRetryEveryMs ?? 30_000,
    };
    // Without any WebSocket (an old embedded browser) SSE is the best there is, for good.
    this.canWs = opts.WebSocket !== undefined || typeof WebSocket !== 'undefined';
    this.mode = this.canWs ? 'ws' : 'sse';
    this.opts.store.setConnection('connecting', this.mode);
    this.main = this.canWs ? this.openWs() : null;
  }

  get transport(): LiveTransport {
    return this.mode;
  }

  /** The client subscriptions go through while the transport is 'ws'. */
  get wsClient(): TRPCWebSocketClient | null {
    return this.mode === 'ws' ? (this.main?.client ?? null) : null;
  }

  /** An SSE subscription connected (its `connected` event) or failed to (an `error`). */
  sseState(state: 'connected' | 'error'): void {
    if (this.closed) return;
    if (state === 'connected') {
      this.sseFailures = 0;
      this.everLive = true;
      if (this.mode === 'sse') this.opts.store.setConnection('live', 'sse');
      return;
    }
    if (this.mode !== 'sse') return;
    this.sseFailures += 1;
    if (this.sseFailures >= this.opts.maxSseFailures) this.switchTo('polling');
    else this.opts.store.setConnection(this.lostStatus(), 'sse');
  }

  /** An SSE stream that can't reconnect by itself (say a 502 page): go straight to polling. */
  sseFatal(): void {
    if (!this.closed && this.mode === 'sse') this.switchTo('polling');
  }

  /**
   * Round trip of a `PING` text frame on the open socket to the server's `PONG` (the tRPC ws
   * adapter answers every PING, and the stock client ignores the PONG). Null if not on ws.
   */
  pingWs(timeoutMs = 3_000): Promise<number | null> {
    const connection = this.wsClient?.connection;
    if (connection?.state !== 'open') return Promise.resolve(null);
    const ws = connection.ws;
    return new Promise((resolve) => {
      const started = performance.now();
      const done = (rtt: number | null) => {
        clearTimeout(timer);
        ws.removeEventListener('message', onMessage);
        ws.removeEventListener('close', onClose);
        resolve(rtt);
      };
      const onMessage = (event: MessageEvent) => {
        if (event.data === 'PONG') done(performance.now() - started);
      };
      // A dead socket answers nothing: don't hold up the next measurement until the timeout.
      const onClose = () => done(null);
      const timer = setTimeout(onClose, timeoutMs);
      ws.addEventListener('message', onMessage);
      ws.addEventListener('close', onClose);
      try {
        ws.send('PING');
      } catch {
        done(null);
      }
    });
  }

  close(): void {
    this.closed = true;
    clearInterval(this.probeTimer);
    this.retire(this.main);
    this.retire(this.probe);
    this.main = this.probe = null;
  }

  private openWs(): WsHandle {
    const handle: WsHandle = { client: null as never, openSinceClose: false, retired: false };
    handle.client = createWSClient({
      url: this.opts.wsUrl,
      WebSocket: this.opts.WebSocket,
      retryDelayMs: this.opts.retryDelayMs,
      lazy: { enabled: false, closeMs: 0 },
      keepAlive: { enabled: true, ...this.opts.keepAlive },
      onOpen: () => this.onWsOpen(handle),
      onClose: () => this.onWsClose(handle),
    });
    return handle;
  }

  private onWsOpen(handle: WsHandle): void {
    if (handle.retired || this.closed) {
      // A socket can finish opening after its client was closed; don't keep it.
      this.retire(handle);
      return;
    }
    handle.openSinceClose = true;
    if (handle === this.probe) {
      this.probe = null;
      this.main = handle;
      this.mode = 'ws';
      clearInterval(this.probeTimer);
      this.probeTimer = undefined;
    }
    if (handle !== this.main) return;
    this.wsFailures = 0;
    this.everLive = true;
    this.opts.store.setConnection('live', 'ws');
  }

  private onWsClose(handle: WsHandle): void {
    if (handle.retired || this.closed) return;
    if (handle === this.probe) {
      // Still unreachable: wait for the next probe rather than let this client keep retrying.
      this.retire(handle);
      this.probe = null;
      return;
    }
    if (handle !== this.main) return;
    const dropped = handle.openSinceClose;
    handle.openSinceClose = false;
    if (!dropped) this.wsFailures += 1;
    if (this.wsFailures >= this.opts.maxWsFailures) this.switchTo('sse');
    else this.opts.store.setConnection(this.lostStatus(), 'ws');
  }

  private switchTo(mode: 'sse' | 'polling'): void {
    this.mode = mode;
    this.sseFailures = 0;
    const old = this.main;
    this.main = null;
    if (this.probeTimer === undefined && this.canWs) {
      this.probeTimer = setInterval(() => {
        if (!this.probe && !this.closed) this.probe = this.openWs();
      }, this.opts.wsRetryEveryMs);
    }
    // Subscribers move first (the store's listeners run now), then the old socket goes.
    this.opts.store.setConnection(mode === 'polling' ? 'polling' : this.lostStatus(), mode);
    this.retire(old);
  }

  private lostStatus(): 'reconnecting' | 'connecting' {
    return this.everLive ? 'reconnecting' : 'connecting';
  }

  private retire(handle: WsHandle | null): void {
    if (!handle) return;
    handle.retired = true;
    handle.client.close().catch(() => undefined);
  }
}
