/**
 * The raw `ws` peer of the fan-out benchmark (started by bench/scenarios/fanout.ts): a bare
 * `ws` server on its own HTTP server, no tRPC, no rooms. A client's first message subscribes it
 * (it gets a small snapshot frame back); every message published on the Redis channel is written
 * as is (one Buffer shared by all sockets, text frames) to every subscribed socket: the floor
 * of what a Node process can do for a broadcast triggered through Redis.
 *
 * argv[2]: JSON { redisUrl, channel }. IPC out: { type: 'ready', port }.
 */
import { createServer } from 'node:http';

import { Redis } from 'ioredis';
import { WebSocket, WebSocketServer } from 'ws';

const { redisUrl, channel } = JSON.parse(process.argv[2] ?? '{}') as {
  redisUrl: string;
  channel: string;
};

const SNAPSHOT = Buffer.from(
  '{"id":1,"result":{"type":"data","id":"0-0","data":{"id":"0-0","data":{"type":"snapshot","snapshot":{"id":"0-0","at":0,"entries":[]}}}}}',
);

const members = new Set<WebSocket>();
const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 16_384 });
wss.on('connection', (ws) => {
  ws.once('message', () => {
    members.add(ws);
    ws.send(SNAPSHOT, { binary: false });
  });
  ws.on('close', () => members.delete(ws));
  ws.on('error', () => ws.terminate());
});

const sub = new Redis(redisUrl, { lazyConnect: true });
await sub.connect();
sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
  for (const ws of members)
    if (ws.readyState === WebSocket.OPEN) ws.send(message, { binary: false });
});
await sub.subscribe(channel);

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({
    type: 'ready',
    port: typeof address === 'object' && address ? address.port : 0,
  });
});
const stop = () => {
  for (const ws of wss.clients) ws.terminate();
  sub.disconnect();
  server.close();
  setTimeout(() => process.exit(0), 100).unref();
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
