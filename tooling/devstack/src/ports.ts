import net from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it).
 * Another process could take it before the caller binds, so bind soon.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

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
