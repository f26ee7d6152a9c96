/**
 * Quick fan-out measurement (issue 3's figure; the full benchmark is `npm run bench`): opens N
 * WebSocket subscribers to `rankings.live` on one api process, publishes a diff through the
 * ranker's own script, and reports how long it took to reach every subscriber.
 *
 *   REDIS_URL=... [REDIS_PREFIX=] node --import tsx bench/quick-fanout.ts --url ws://127.0.0.1:3000/trpc --clients 10000
 */
import { parseArgs } from 'node:util';

import { publishRankings, rankingsKeys, readRankingsSnapshot } from '@llmpt/vote-store';
import { Redis } from 'ioredis';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'ws://127.0.0.1:3000/trpc' },
    clients: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '5' },
  },
});
const n = Number(values.clients);
const rounds = Number(values.rounds);
const url = new URL(values.url);
if (
  !['127.0.0.1', 'localhost'].includes(url.hostname) ||
  !(n > 0 && n <= 19_000) ||
  !(rounds > 0 && rounds <= 50)
) {
  console.error(
    'usage: --url ws://127.0.0.1:PORT/trpc (loopback only) --clients 1..19000 --rounds 1..50',
  );
  process.exit(2);
}
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const keys = rankingsKeys(process.env.REDIS_PREFIX ?? '');

let pendingId = '';
let received = 0;
let startedAt = 0;
const arrivals: number[] = [];
let done: () => void = () => undefined;

const sockets: WebSocket[] = [];
let ready = 0;
for (let i = 0; i < n; i++) {
  const ws = new WebSocket(values.url, { perMessageDeflate: false });
  ws.on('open', () =>
    ws.send(
      JSON.stringify({
        id: 1,
        method: 'subscription',
        params: { path: 'rankings.live', input: {} },
      }),
    ),
  );
  ws.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    if (text.includes('"type":"snapshot"')) ready++;
    else if (pendingId && text.includes(pendingId)) {
      arrivals.push(performance.now() - startedAt);
      if (++received === n) done();
    }
  });
  ws.on('error', (err) => console.error('socket error', err.message));
  sockets.push(ws);
  if (i % 500 === 499) await new Promise((r) => setTimeout(r, 50)); // don't flood the accept queue
}
const deadline = Date.now() + 120_000;
while (ready < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
console.log(`${ready}/${n} subscribers received their snapshot`);

const snap = await readRankingsSnapshot(redis, keys);
const first = snap?.entries[0];
if (!first) throw new Error('no rankings snapshot: is the worker (ranker) running?');
const results = [];
for (let r = 0; r < rounds; r++) {
  received = 0;
  arrivals.length = 0;
  const entry = { ...first, up: first.up + 1000 + r };
  const finished = new Promise<void>((resolve) => (done = resolve));
  startedAt = performance.now();
  pendingId = await publishRankings(
    redis,
    keys,
    { at: Date.now(), entries: [entry] },
    { at: Date.now(), entries: snap.entries },
  );
  await Promise.race([finished, new Promise((r2) => setTimeout(r2, 30_000))]);
  arrivals.sort((a, b) => a - b);
  const q = (p: number) =>
    Math.round(arrivals[Math.min(arrivals.length - 1, Math.floor(p * arrivals.length))] ?? NaN);
  results.push({
    received,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    maxMs: Math.round(arrivals.at(-1) ?? NaN),
  });
  await new Promise((r2) => setTimeout(r2, 500));
}
// Put the real standings back for the next diff the ranker computes.
await publishRankings(
  redis,
  keys,
  { at: Date.now(), entries: [first] },
  { at: Date.now(), entries: snap.entries },
);
console.table(results);
for (const ws of sockets) ws.terminate();
await redis.quit();
