/**
 * The floor of any vote path: the same Lua vote script behind a bare node:http POST handler
 * (no framework, no cookie signature, no rate limit). Used to compare `vote.cast` against.
 *   REDIS_URL=... PORT=3200 node --import tsx bench/raw-vote-server.ts
 */
import { createServer } from 'node:http';

import { VoteStore } from '@llmpt/vote-store';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  enableAutoPipelining: true,
});
const store = new VoteStore(redis, { prefix: process.env.REDIS_PREFIX ?? '', partitions: 16 });

createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    const voter =
      /vid=([A-Za-z0-9_-]{22})/.exec(req.headers.cookie ?? '')?.[1] ?? 'anonymous-voter-000000';
    const input = JSON.parse(body) as { llmId: string; value: 1 | -1 | 0 };
    store
      .cast(voter, input.llmId, input.value)
      .then((r) =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ result: { data: r } })),
      )
      .catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
}).listen(Number(process.env.PORT ?? 3200), '127.0.0.1');
