/**
 * The Socket.IO peer of the fan-out benchmark (started by bench/scenarios/socket-io-peer.ts): the
 * seed's own choice for real-time, a Socket.IO 4 server with @socket.io/redis-adapter. Clients
 * emit `subscribe` and join the room `rankings` (they get a small `snapshot` event back);
 * broadcasts reach this process through the adapter's Redis pub/sub, emitted elsewhere with
 * `io.to('rankings').emit('diff', payload)`. WebSocket transport only, no per-message deflate,
 * like our endpoint.
 *
 * argv[2]: JSON { redisUrl, key }. IPC out: { type: 'ready', port }.
 */
import { createServer } from 'node:http';

import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const { redisUrl, key } = JSON.parse(process.argv[2] ?? '{}') as { redisUrl: string; key: string };

const SNAPSHOT = {
  id: 1,
  result: {
    type: 'data',
    id: '0-0',
    data: { id: '0-0', data: { type: 'snapshot', snapshot: { id: '0-0', at: 0, entries: [] } } },
  },
};

const pub = new Redis(redisUrl);
const sub = pub.duplicate();
const server = createServer();
const io = new Server(server, {
  transports: ['websocket'],
  perMessageDeflate: false,
  serveClient: false,
  adapter: createAdapter(pub, sub, { key }),
});
io.on('connection', (socket) => {
  socket.on('subscribe', () => {
    void socket.join('rankings');
    socket.emit('snapshot', SNAPSHOT);
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({
    type: 'ready',
    port: typeof address === 'object' && address ? address.port : 0,
  });
});
const stop = () => {
  io.local.disconnectSockets(true);
  void io.close();
  pub.disconnect();
  sub.disconnect();
  setTimeout(() => process.exit(0), 100).unref();
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
