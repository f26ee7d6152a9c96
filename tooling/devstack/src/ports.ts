import net from 'node:net';

/**
 * Where {@link freePort} picks: below Linux's ephemeral range (32768+ by default), so no outgoing
 * connection is given the port between the pick and the bind (CI saw an api's port, picked by the
 * OS from that range, taken by a client socket meanwhile: EADDRINUSE). 20000–32099 is left to
 * clusters (`freeBasePort` in @llmpt/cluster), which need 100 in a row.
 */
export const FREE_PORT_RANGE = { from: 10_000, to: 19_999 } as const;

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, picked at random in
 * {@link FREE_PORT_RANGE}. Another process could take it before the caller binds, so bind soon.
 */
export async function freePort(): Promise<number> {
  const { from, to } = FREE_PORT_RANGE;
  const now = Date.now();
  for (const [port, until] of handedOut) if (until <= now) handedOut.delete(port);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (handedOut.has(port)) continue;
    // Reserved before the check: two concurrent calls cannot both be given it.
    handedOut.set(port, now + HANDED_OUT_MS);
    if (await isPortFree(port)) return port;
  }
  throw new Error(`no free port found between ${from} and ${to} in 100 tries`);
}

/**
 * Ports {@link freePort} gave out in this process, until when they stay reserved. A stack picks
 * every port of its processes (public and metrics, several apis) before any of them binds, so
 * without this two picks could fall on the same still-free port, and the second process to bind
 * exits with EADDRINUSE (the bench's flatCost saw it once: 7 picks, 1 in ~500 stacks).
 */
const handedOut = new Map<number, number>();
const HANDED_OUT_MS = 120_000;

/** Whether nothing listens on `host:port` right now (we could bind it). */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * `preferred` when it is free on `host`, else a free port: for the auxiliary ports of a
 * single-machine stack (metrics, the local Postgres and Redis), whose usual numbers another
 * program may hold. Same race as {@link freePort}: bind soon.
 */
export async function portOrFree(preferred: number, host = '127.0.0.1'): Promise<number> {
  return (await isPortFree(preferred, host)) ? preferred : freePort();
}
