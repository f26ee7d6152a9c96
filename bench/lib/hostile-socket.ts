import { performance } from 'node:perf_hooks';

import { WebSocket } from 'ws';

/** What one WebSocket could make the api send or do (issue 9's amplification probe). */
export interface HostileSocketFigures {
  /** Subscriptions asked for on one socket, and how many the api started. */
  subscriptionsAsked: number;
  subscriptionsStarted: number;
  /** Bytes that socket received while subscribing (a snapshot per subscription). */
  bytesForSubscribing: number;
  /** Bytes it then received for ONE vote (the next diff, once per subscription). */
  bytesForOneVote: number;
  /** Calls in the one frame sent (each a `rankings.list` query), and that frame's size. */
  callsInFrame: number;
  frameBytes: number;
  /** Bytes answered to that one frame. */
  bytesForOneFrame: number;
  /** The slowest /healthz answer while the api handled that frame, ms. */
  healthzWorstMs: number;
  /** How the server closed the probe's sockets ('' when it didn't). */
  closes: string;
}

interface Options {
  origin: string;
  subscriptions: number;
  callsInFrame: number;
  /** Casts one vote over HTTP. */
  vote(): Promise<void>;
  /** How long to collect what a vote or the frame causes (default 3 s). */
  waitMs?: number;
}

/**
 * Two probes, each on its own socket: (1) ask for `subscriptions` live subscriptions, cast one
 * vote over HTTP and count the bytes that arrive; (2) send one frame batching `callsInFrame`
 * `rankings.list` queries, count the bytes of the answer and time /healthz meanwhile.
 * Loopback only.
 */
export async function probeHostileSocket(opts: Options): Promise<HostileSocketFigures> {
  const waitMs = opts.waitMs ?? 3_000;
  const wsUrl = `${opts.origin.replace(/^http/, 'ws')}/trpc`;
  const closes: string[] = [];

  const subs = await open(wsUrl, closes);
  let answered = 0;
  let started = 0;
  let subscribing = 0;
  let bytes = 0;
  let counting = false;
  subs.on('message', (data: Buffer) => {
    if (counting) return void (bytes += data.length);
    subscribing += data.length;
    if (data.includes('"type":"started"')) started++;
    if (data.includes('"type":"started"') || data.includes('"error"')) answered++;
  });
  for (let i = 1; i <= opts.subscriptions && subs.readyState === WebSocket.OPEN; i++) {
    subs.send(
      JSON.stringify({
        id: i,
        method: 'subscription',
        params: { path: 'rankings.live', input: {} },
      }),
    );
  }
  // Until every subscription is answered (started or refused) or the socket is closed.
  for (
    let t = 0;
    t < 100 && answered < opts.subscriptions && subs.readyState === WebSocket.OPEN;
    t++
  )
    await sleep(100);
  await sleep(500);
  counting = true;
  await opts.vote();
  await sleep(waitMs);
  closing.add(subs);
  subs.close();

  const batch = await open(wsUrl, closes);
  const frame = JSON.stringify(
    Array.from({ length: opts.callsInFrame }, (_, i) => ({
      id: i + 1,
      method: 'query',
      params: { path: 'rankings.list' },
    })),
  );
  let frameReply = 0;
  batch.on('message', (data: Buffer) => (frameReply += data.length));
  let worst = 0;
  let probing = true;
  const healthz = (async () => {
    while (probing) {
      const t0 = performance.now();
      await fetch(`${opts.origin}/healthz`).then((r) => r.arrayBuffer());
      worst = Math.max(worst, performance.now() - t0);
      await sleep(5);
    }
  })();
  if (batch.readyState === WebSocket.OPEN) batch.send(frame);
  await sleep(waitMs);
  probing = false;
  await healthz;
  closing.add(batch);
  batch.close();

  return {
    subscriptionsAsked: opts.subscriptions,
    subscriptionsStarted: started,
    bytesForSubscribing: subscribing,
    bytesForOneVote: bytes,
    callsInFrame: opts.callsInFrame,
    frameBytes: Buffer.byteLength(frame),
    bytesForOneFrame: frameReply,
    healthzWorstMs: Math.round(worst),
    closes: closes.join('; '),
  };
}

/** Sockets the probe itself is closing (their close is not the server's doing). */
const closing = new WeakSet<WebSocket>();

function open(url: string, closes: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('close', (code, reason) => {
      if (!closing.has(ws)) closes.push(`${code} ${reason.toString()}`.trim());
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
