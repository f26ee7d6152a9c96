import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import { getWSConnectionHandler } from '@trpc/server/adapters/ws';
import type { FastifyInstance } from 'fastify';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';

import { type Deps, createWsContext } from '../context.ts';
import { appRouter } from '../routers/index.ts';
import { LiveRooms, ownedSubscriptions } from './live-rooms.ts';
import { WsGuard } from './ws-guard.ts';

export interface WsEndpoint {
  /** Tells every client to reconnect (to another instance) before this one stops. */
  broadcastReconnectNotification(): void;
  /** Live subscriptions currently served over WebSocket by this process. */
  liveSubscriptions(): number;
  close(): Promise<void>;
}

/**
 * tRPC subscriptions over WebSocket at /trpc, on the api's own HTTP server. No per-message
 * deflate (measured: 10x the time and 40x the memory at 10k clients), a maximum message size,
 * keep-alive pings, an Origin check before the upgrade, and per-socket limits (WsGuard): what
 * one socket may ask for is bounded, and an abuser is closed with 1008 and a reason.
 */
export function attachWebSockets(app: FastifyInstance, deps: Deps): WsEndpoint {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: deps.env.WS_MAX_MESSAGE_BYTES,
  });
  const onConnection = getWSConnectionHandler({
    wss,
    router: appRouter,
    createContext: ({ req }) => createWsContext(deps, req),
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        app.log.error({ err: error.cause ?? error, path }, 'ws procedure failed');
      }
    },
  });
  const rooms = new LiveRooms(deps);
  wss.on('connection', (socket, req: IncomingMessage) => {
    deps.metrics.wsConnections.inc();
    const owned = ownedSubscriptions();
    socket.once('close', () => {
      deps.metrics.wsConnections.dec();
      rooms.closeAll(owned);
    });
    // An oversized message: ws closes the socket with 1009; the error needs no stack trace.
    socket.on('error', (err) => app.log.debug({ err: err.message }, 'ws client error'));
    const guard = new WsGuard(deps, socket, rooms, owned, () => createWsContext(deps, req));
    // tRPC's handler sees what the guard passes on: not the live subscriptions (LiveRooms serves
    // them), not cached reads (served from the response cache), nothing from a closed abuser.
    onConnection(
      withMessageFilter(socket, (data, isBinary) => guard.filter(data, isBinary)),
      req,
    );
  });

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/trpc') return refuse(socket, 404, 'Not Found');
    if (!originAllowed(req, deps.env.ALLOWED_ORIGINS)) return refuse(socket, 403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  return {
    liveSubscriptions: () => rooms.count(),
    broadcastReconnectNotification: () => {
      // tRPC's reconnect notification: clients reconnect, resuming with their last event id.
      for (const client of wss.clients) {
        if (client.readyState === client.OPEN) client.send('{"id":null,"method":"reconnect"}');
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

export function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    return allowed.length === 0 && new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * The socket as tRPC's handler sees it: `message` listeners get what `filter` returns (null: the
 * message was consumed); everything else is the socket itself.
 */
function withMessageFilter(
  socket: WebSocket,
  filter: (data: Buffer, isBinary: boolean) => Buffer | null,
): WebSocket {
  // tRPC adds two message listeners (requests, keep-alive): filter each message once.
  const filtered = new WeakMap<Buffer, Buffer | null>();
  const wrap =
    (fn: (data: RawData, isBinary: boolean) => void) => (data: RawData, isBinary: boolean) => {
      // binaryType is 'nodebuffer': every message arrives as one Buffer.
      if (!Buffer.isBuffer(data)) return fn(data, isBinary);
      if (!filtered.has(data)) filtered.set(data, filter(data, isBinary));
      const out = filtered.get(data);
      if (out) fn(out, isBinary);
    };
  return new Proxy(socket, {
    get(target, prop, receiver) {
      if (prop === 'on' || prop === 'addListener') {
        return (event: string, fn: (...args: unknown[]) => void) =>
          event === 'message' ? target.on('message', wrap(fn)) : target.on(event, fn);
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
