/**
 * A client process of the real-time benchmarks (started by bench/lib/ws-client-pool.ts, never by
 * hand): opens `count` WebSocket subscribers, waits for each one's first data frame (its
 * snapshot), then records when every later data frame arrives, keyed by the frame's tracked id.
 *
 * The same bare `ws` client serves the three servers compared, so client-side cost is equal:
 * - trpc: the api's tRPC endpoint; `{"id":1,"method":"subscription","params":{"path":
 *   "rankings.live","input":{}}}`; frames `{"id":1,"result":{"type":"data","id":ID,...}}`;
 *   answers tRPC's keep-alive `PING` with `PONG`.
 * - raw: bench/servers/raw-ws-server.ts, same subscribe message and frame shape.
 * - sio: bench/servers/socket-io-server.ts spoken in Engine.IO v4 / Socket.IO v5 wire format
 *   (`0{…}` open → `40` connect → `42["subscribe"]`; events `42["diff",{…}]`; ping `2` → `3`).
 *   The payload is our tRPC frame, so the same `"type":"data","id":ID` marker keys it.
 *
 * Arrival time: {@link wallNow} taken first thing in the socket's message handler.
 * Traffic: every message a subscribed socket receives (data and keep-alives) is counted at its
 * wire size, the WebSocket frame as it arrived: payload plus the frame header a server sends
 * (unmasked: 2 bytes, +2 from 126 bytes of payload, +8 from 65,536).
 * IPC out: ready, complete (a key reached every live subscriber of this process), collected,
 * frame, traffic. IPC in: collect, frame, traffic, close.
 */
import WebSocket from 'ws';

import { clockSkewMs, wallNow } from '../lib/rt-measure.ts';

export interface SubscriberConfig {
  mode: 'trpc' | 'raw' | 'sio';
  /** ws:// URLs; socket i of this process goes to urls[(offset + i) % urls.length]. */
  urls: string[];
  count: number;
  offset: number;
  localAddress?: string;
  /** The first `sample` sockets keep per-socket arrival times; the others are only counted. */
  sample: number;
  /** Handshakes in flight at once. */
  concurrency: number;
  connectTimeoutMs: number;
  /** mode trpc: the subscription to hold (default `rankings.live` with input {}). */
  subscribe?: { path: string; input: unknown };
}

export type FromSubscribers =
  | { type: 'ready'; subscribed: number; failed: number; errors: string[]; skewMs: number }
  | { type: 'complete'; key: string; count: number }
  | {
      type: 'collected';
      /** Sampled subscribers that subscribed: every key's `times` has this many values. */
      sampled: number;
      data: Record<string, { count: number; times: (number | null)[] }>;
    }
  | { type: 'frame'; key: string; frame: string | null }
  | {
      type: 'traffic';
      /** Wire bytes and messages received by subscribed sockets since they subscribed. */
      bytes: number;
      messages: number;
      /** Of those, data messages (larger than a keep-alive's 4 bytes). */
      dataMessages: number;
      /** Sockets subscribed and still open. */
      live: number;
      /** Socket-seconds of subscribed, open sockets so far (∫ live dt). */
      liveSeconds: number;
    }
  | { type: 'closed'; subscribed: number; closedEarly: number };

export type ToSubscribers =
  | { cmd: 'collect'; keys: string[] | null }
  | { cmd: 'frame'; key: string }
  | { cmd: 'traffic' }
  | { cmd: 'close' };

const MARKER = Buffer.from('"type":"data","id":"');
/** Frames kept verbatim (one per key) for the peers' payload; bounded. */
const MAX_FRAMES_KEPT = 2000;

const cfg = JSON.parse(process.argv[2] ?? '{}') as SubscriberConfig;
const SUBSCRIBE = JSON.stringify({
  id: 1,
  method: 'subscription',
  params: cfg.subscribe ?? { path: 'rankings.live', input: {} },
});
const send = (m: FromSubscribers) => process.send?.(m);

interface KeyState {
  count: number;
  times: Float64Array;
}
const keys = new Map<string, KeyState>();
const frames = new Map<string, Buffer>();
/** 1 for sampled sockets that subscribed: only those are expected to receive frames. */
const sampledLive = new Uint8Array(cfg.sample);
const sockets: WebSocket[] = [];
let subscribed = 0;
let failed = 0;
let closedEarly = 0;
let closing = false;
const errors: string[] = [];
let wireBytes = 0;
/** ∫ live sockets dt (socket-seconds), up to `liveSince`: bytes per subscriber-second. */
let liveSeconds = 0;
let liveSince = performance.now();
/** Call BEFORE the live count changes. */
function accrueLive(): void {
  const now = performance.now();
  liveSeconds += ((subscribed - closedEarly) * (now - liveSince)) / 1000;
  liveSince = now;
}
let wireMessages = 0;
let wireDataMessages = 0;

/** Bytes of a server's (unmasked) WebSocket frame carrying `payload` bytes. */
function wireSize(payload: number): number {
  return payload + (payload < 126 ? 2 : payload < 65_536 ? 4 : 10);
}

function arrival(index: number, data: Buffer, at: number): void {
  const start = data.indexOf(MARKER);
  if (start < 0) return;
  const from = start + MARKER.length;
  const end = data.indexOf(0x22, from);
  const key = data.toString('latin1', from, end);
  let state = keys.get(key);
  if (!state) {
    state = { count: 0, times: new Float64Array(cfg.sample).fill(NaN) };
    keys.set(key, state);
    if (frames.size < MAX_FRAMES_KEPT) {
      // The payload after the Socket.IO event header is the frame itself.
      const json = cfg.mode === 'sio' ? data.subarray(data.indexOf(0x7b)) : data;
      frames.set(key, Buffer.from(json.subarray(0, json.length - (cfg.mode === 'sio' ? 1 : 0))));
    }
  }
  if (index < cfg.sample) state.times[index] = at;
  if (++state.count === subscribed - closedEarly)
    send({ type: 'complete', key, count: state.count });
}

function open(index: number): Promise<void> {
  return new Promise((resolve) => {
    const base = cfg.urls[(cfg.offset + index) % cfg.urls.length]!;
    const url = cfg.mode === 'sio' ? `${base}/socket.io/?EIO=4&transport=websocket` : base;
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: cfg.connectTimeoutMs,
      ...(cfg.localAddress ? { localAddress: cfg.localAddress } : {}),
    });
    sockets.push(ws);
    let live = false;
    let settled = false;
    const settle = (ok: boolean, why?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (ok) {
        accrueLive();
        subscribed++;
        if (index < cfg.sample) sampledLive[index] = 1;
      } else {
        failed++;
        if (why && errors.length < 5) errors.push(why);
        ws.terminate();
      }
      resolve();
    };
    const timer = setTimeout(() => settle(false, 'no snapshot in time'), cfg.connectTimeoutMs);
    ws.on('open', () => {
      if (cfg.mode !== 'sio') ws.send(SUBSCRIBE);
    });
    ws.on('message', (data: Buffer) => {
      const at = wallNow();
      if (live) {
        wireBytes += wireSize(data.length);
        wireMessages++;
        // Keep-alives are tiny; data frames are not.
        if (data.length <= 4) return keepAlive(ws, data);
        wireDataMessages++;
        return arrival(index, data, at);
      }
      if (data.length <= 4) return keepAlive(ws, data);
      if (cfg.mode === 'sio') {
        const c = data[0];
        if (c === 0x30 /* 0 open */) return void ws.send('40');
        if (c === 0x34 && data[1] === 0x30 /* 40 connected */)
          return void ws.send('42["subscribe"]');
        if (c === 0x34 && data[1] === 0x34 /* 44 connect error */)
          return settle(false, data.toString());
      }
      if (data.indexOf(MARKER) >= 0) {
        live = true;
        settle(true);
      } else if (data.includes('"error"')) {
        settle(false, data.toString('utf8', 0, 300));
      }
    });
    ws.on('error', (err) => settle(false, err.message));
    ws.on('close', () => {
      if (!settled) settle(false, 'closed before its snapshot');
      else if (live && !closing) {
        accrueLive();
        closedEarly++;
      }
    });
  });
}

function keepAlive(ws: WebSocket, data: Buffer): void {
  const text = data.toString('latin1');
  if (text === 'PING') ws.send('PONG');
  else if (text === '2') ws.send('3');
}

process.on('message', (m: ToSubscribers) => {
  if (m.cmd === 'collect') {
    const data: Record<string, { count: number; times: (number | null)[] }> = {};
    for (const key of m.keys ?? keys.keys()) {
      const state = keys.get(key);
      if (!state) continue;
      const times: (number | null)[] = [];
      state.times.forEach((t, i) => {
        if (sampledLive[i]) times.push(Number.isFinite(t) ? t : null);
      });
      data[key] = { count: state.count, times };
    }
    send({ type: 'collected', sampled: sampledLive.reduce((a, b) => a + b, 0), data });
  } else if (m.cmd === 'frame') {
    send({ type: 'frame', key: m.key, frame: frames.get(m.key)?.toString('utf8') ?? null });
  } else if (m.cmd === 'traffic') {
    send({
      type: 'traffic',
      bytes: wireBytes,
      messages: wireMessages,
      dataMessages: wireDataMessages,
      live: subscribed - closedEarly,
      liveSeconds: (accrueLive(), liveSeconds),
    });
  } else if (m.cmd === 'close') {
    closing = true;
    for (const ws of sockets) ws.terminate();
    send({ type: 'closed', subscribed, closedEarly });
    setTimeout(() => process.exit(0), 50);
  }
});
// The parent is gone: nobody will ever ask us to close.
process.on('disconnect', () => process.exit(0));

let next = 0;
const worker = async () => {
  while (next < cfg.count) await open(next++);
};
await Promise.all(Array.from({ length: Math.max(1, cfg.concurrency) }, worker));
send({ type: 'ready', subscribed, failed, errors, skewMs: clockSkewMs() });
