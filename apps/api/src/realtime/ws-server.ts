import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import { getWSConnectionHandler } from '@trpc/server/adapters/ws';
import type { FastifyInstance } from 'fastify';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';

import { type Deps, createWsContext } from '../context.ts';
import { appRouter } from '../routers/index.ts';
import { LiveRooms, type OwnedSubscriptions } from './live-rooms.ts';

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
 * keep-alive pings, and an Origin check before the upgrade.
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
    const owned: OwnedSubscriptions = new Map();
    socket.once('close', () => {
      deps.metrics.wsConnections.dec();
      rooms.closeAll(owned);
    });
    // tRPC's handler sees every message except the live subscriptions' own, which LiveRooms serves.
    onConnection(
      withMessageFilter(socket, (data) => {
        const text = data.toString('utf8');
        if (text === 'PING' || text === 'PONG' || text.length > deps.env.WS_MAX_MESSAGE_BYTES)
          return data;
        let msg: unknown;
        try {
          msg = JSON.parse(text);
        } catch {
          return data; // tRPC answers PARSE_ERROR
        }
        const msgs = Array.isArray(msg) ? (msg as unknown[]) : [msg];
        const rest = msgs.filter((m) => !rooms.handle(socket, m, owned));
        if (rest.length === msgs.length) return data;
        if (rest.length === 0) return null;
        return Buffer.from(JSON.stringify(Array.isArray(msg) ? rest : rest[0]));
      }),
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
function withMessageFilter(socket: WebSocket, filter: (data: Buffer) => Buffer | null): WebSocket {
  // tRPC adds two message listeners (requests, keep-alive): filter each message once.
  const filtered = new WeakMap<Buffer, Buffer | null>();
  const once = (data: Buffer) => {
    if (!filtered.has(data)) filtered.set(data, filter(data));
    return filtered.get(data) ?? null;
  };
  const wrap =
    (fn: (data: RawData, isBinary: boolean) => void) => (data: RawData, isBinary: boolean) => {
      if (isBinary || !Buffer.isBuffer(data)) return fn(data, isBinary);
      const out = once(data);
      if (out) fn(out, false);
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
