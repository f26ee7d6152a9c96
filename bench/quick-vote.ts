/**
 * Quick measurement of `vote.cast` over HTTP (issue 2's figure; the full benchmark with its
 * ceilings is `npm run bench`, a later issue). Drives an already running api with autocannon:
 * random voters (validly signed cookies) and random models, stock tRPC wire format.
 *
 *   node --import tsx bench/quick-vote.ts --url http://127.0.0.1:3100 --secret <VOTER_COOKIE_SECRET> [--seconds 10] [--connections 64]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import { sign } from '@fastify/cookie';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3000' },
    secret: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    voters: { type: 'string', default: '20000' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
if (
  !values.secret ||
  !(seconds > 0 && seconds <= 120) ||
  !(connections > 0 && connections <= 1024)
) {
  console.error(
    'usage: --secret <VOTER_COOKIE_SECRET> [--seconds 1..120] [--connections 1..1024] [--url]',
  );
  process.exit(2);
}
const url = new URL(values.url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
  console.error('benchmarks target loopback only');
  process.exit(2);
}

const models = (
  (await (await fetch(`${url.origin}/trpc/llm.list`)).json()) as {
    result: { data: { id: string }[] };
  }
).result.data.map((m) => m.id);
const cookies = Array.from(
  { length: Number(values.voters) },
  () => `vid=${sign(randomBytes(16).toString('base64url'), values.secret!)}`,
);
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

const result = await autocannon({
  url: `${url.origin}/trpc/vote.cast`,
  connections,
  duration: seconds,
  requests: [
    {
      method: 'POST',
      setupRequest: (req) => ({
        ...req,
        headers: { 'content-type': 'application/json', cookie: pick(cookies) },
        body: JSON.stringify({ llmId: pick(models), value: pick([1, -1, 0]) }),
      }),
    },
  ],
});
console.log(
  JSON.stringify(
    {
      rps: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      total: result.requests.total,
    },
    null,
    2,
  ),
);
