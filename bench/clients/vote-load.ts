/**
 * The open-loop vote generator of the endToEnd scenario (started by it, never by hand). Mints
 * `voters` voter cookies (GET /trpc/vote.mine, as browsers get theirs), then on 'go' casts
 * POST /trpc/vote.cast at `rate` per second for `durationS`: a random voter, a random model of
 * `models`, value 1 / -1 / 0 (50 / 30 / 20 %).
 *
 * Open loop: send slots are due at a steady rate whatever the answers; each goes out on an idle
 * keep-alive connection of `connections` (raw HTTP/1.1 over net.Socket: a fraction of node:http's
 * CPU, which matters on 2 cores). Slots wait in a queue when every connection is busy; a slot
 * that waited over 1 s is dropped and counted as `unsent` (the server fell behind); slots due in
 * the window and still queued when it closes are sent after it, under the same 1 s rule (they
 * were due, not dropped). Latency is
 * measured from the slot's due time (so queueing counts, no coordinated omission) and from the
 * actual send.
 *
 * The first `warmupS` seconds run at the same rate but are not counted (JIT, connections).
 *
 * argv[2]: JSON LoadConfig. IPC in: { cmd: 'go' }. IPC out: { type: 'ready' }, { type: 'window' }
 * (the counted window starts), { type: 'done', result }.
 */
import { type Socket, connect } from 'node:net';

import { summarize } from '../lib/rt-measure.ts';

export interface LoadConfig {
  /** http://127.0.0.1:PORT */
  url: string;
  rate: number;
  warmupS: number;
  durationS: number;
  connections: number;
  voters: number;
  models: string[];
}

export interface LoadResult {
  durationS: number;
  due: number;
  sent: number;
  ok: number;
  non2xx: number;
  statuses: Record<string, number>;
  socketErrors: number;
  /** Slots dropped after waiting 1 s for a free connection. */
  unsent: number;
  /** Seconds into the window at which slots were dropped (one entry per second that had any). */
  unsentSeconds: number[];
  /** Slots due in the window still queued when it closed (then sent, under the same 1 s rule). */
  queuedAtClose: number;
  /** Sent but not answered when the window closed (answers within 2 s still count). */
  unanswered: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  serviceP50Ms: number;
  serviceP99Ms: number;
  /** 2xx answers per second of the window. */
  okPerSecond: number[];
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as LoadConfig;
const target = new URL(cfg.url);
const MAX_WAIT_MS = 1000;

async function mint(): Promise<string[]> {
  const cookies: string[] = [];
  const one = async () => {
    const res = await fetch(`${cfg.url}/trpc/vote.mine`);
    await res.arrayBuffer();
    const c = res.headers
      .getSetCookie()
      .map((s) => /^vid=[^;]+/.exec(s)?.[0])
      .find(Boolean);
    if (!c) throw new Error(`vote.mine: HTTP ${res.status} without a voter cookie`);
    cookies.push(c);
  };
  while (cookies.length < cfg.voters) {
    await Promise.all(Array.from({ length: Math.min(32, cfg.voters - cookies.length) }, one));
  }
  return cookies;
}

const cookies = await mint();
const result: LoadResult = {
  durationS: cfg.durationS,
  due: 0,
  sent: 0,
  ok: 0,
  non2xx: 0,
  statuses: {},
  socketErrors: 0,
  unsent: 0,
  unsentSeconds: [],
  queuedAtClose: 0,
  unanswered: 0,
  latencyP50Ms: NaN,
  latencyP99Ms: NaN,
  serviceP50Ms: NaN,
  serviceP99Ms: NaN,
  okPerSecond: Array.from({ length: cfg.durationS }, () => 0),
};
const latencies: number[] = [];
const service: number[] = [];
let startedAt = 0;

function request(): Buffer {
  const cookie = cookies[Math.floor(Math.random() * cookies.length)]!;
  const llmId = cfg.models[Math.floor(Math.random() * cfg.models.length)]!;
  const r = Math.random();
  const body = JSON.stringify({ llmId, value: r < 0.5 ? 1 : r < 0.8 ? -1 : 0 });
  return Buffer.from(
    `POST /trpc/vote.cast HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\n` +
      `Cookie: ${cookie}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** One keep-alive connection, one request at a time; answers parsed by Content-Length. */
class Conn {
  private socket: Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  busy = false;
  private dueAt = 0;
  private sentAt = 0;

  send(dueAt: number): void {
    if (!this.socket) this.open();
    this.busy = true;
    this.dueAt = dueAt;
    this.sentAt = performance.now();
    result.sent++;
    this.socket!.write(request());
  }

  private open(): void {
    const s = connect({ host: target.hostname, port: Number(target.port), noDelay: true });
    this.socket = s;
    this.buf = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = () => {
      if (this.socket !== s) return;
      this.socket = null;
      if (this.busy) {
        result.socketErrors++;
        this.busy = false;
        pump();
      }
    };
    s.on('error', fail);
    s.on('close', fail);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const head = this.buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const header = this.buf.toString('latin1', 0, head);
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(header)?.[1] ?? NaN);
      if (!Number.isFinite(length)) {
        this.socket?.destroy(); // chunked or broken: start over on a new connection
        return;
      }
      if (this.buf.length < head + 4 + length) return;
      this.buf = this.buf.subarray(head + 4 + length);
      this.answered(Number(header.slice(9, 12)));
    }
  }

  private answered(status: number): void {
    const now = performance.now();
    this.busy = false;
    if (status >= 200 && status < 300) {
      result.ok++;
      const second = Math.floor((now - startedAt) / 1000);
      if (startedAt > 0 && second < result.okPerSecond.length) result.okPerSecond[second]!++;
    } else {
      result.non2xx++;
      result.statuses[status] = (result.statuses[status] ?? 0) + 1;
    }
    latencies.push(now - this.dueAt);
    service.push(now - this.sentAt);
    pump();
  }

  close(): void {
    this.socket?.destroy();
  }
}

const conns = Array.from({ length: cfg.connections }, () => new Conn());
const queue: number[] = [];
function pump(): void {
  const now = performance.now();
  while (queue.length > 0 && now - queue[0]! > MAX_WAIT_MS) {
    queue.shift();
    result.unsent++;
    const second = Math.floor((now - startedAt) / 1000);
    if (startedAt > 0 && result.unsentSeconds.at(-1) !== second) result.unsentSeconds.push(second);
  }
  for (const c of conns) {
    if (queue.length === 0) return;
    if (!c.busy) c.send(queue.shift()!);
  }
}

process.send?.({ type: 'ready' });
await new Promise<void>((resolve) =>
  process.on('message', (m: { cmd?: string }) => m.cmd === 'go' && resolve()),
);
process.on('disconnect', () => process.exit(0));

const warmupEnd = performance.now() + cfg.warmupS * 1000;
const endAt = warmupEnd + cfg.durationS * 1000;
const interval = 1000 / cfg.rate;
let nextDue = performance.now();
let warming = cfg.warmupS > 0;
if (!warming) startWindow();
function startWindow(): void {
  // What warm-up requests still in flight answer is counted: at most `connections` of them.
  Object.assign(result, { due: 0, sent: 0, ok: 0, non2xx: 0, statuses: {}, socketErrors: 0 });
  result.unsent = 0;
  result.unsentSeconds = [];
  latencies.length = 0;
  service.length = 0;
  result.okPerSecond.fill(0);
  startedAt = performance.now();
  process.send?.({ type: 'window' });
}
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now();
    if (warming && now >= warmupEnd) {
      warming = false;
      startWindow();
    }
    while (nextDue <= Math.min(now, endAt)) {
      queue.push(nextDue);
      result.due++;
      nextDue += interval;
    }
    pump();
    if (now >= endAt) resolve();
    else setTimeout(tick, 1);
  };
  tick();
});
// Slots due in the window and not sent yet go out now (no new ones are due), under the same 1 s
// rule; answers to them and to what is in flight still count, for up to 2 s.
result.queuedAtClose = queue.length;
const graceEnd = performance.now() + 2000;
while ((queue.length > 0 || conns.some((c) => c.busy)) && performance.now() < graceEnd) {
  pump();
  await new Promise((r) => setTimeout(r, 1));
}
result.unsent += queue.length;
queue.length = 0;
result.unanswered = conns.filter((c) => c.busy).length;
for (const c of conns) c.close();
const l = summarize(latencies);
const s = summarize(service);
result.latencyP50Ms = l.p50;
result.latencyP99Ms = l.p99;
result.serviceP50Ms = s.p50;
result.serviceP99Ms = s.p99;
process.send?.({ type: 'done', result });
// Stays until the parent is done reading this process's CPU time, then kills or disconnects it.
