import type { Server } from 'node:http';

/**
 * Listens on 127.0.0.1:$PORT (0: any free port; loopback only) and prints `{"listening":PORT}`,
 * the line bench/lib/servers.ts waits for. SIGTERM closes the process.
 */
export function listenAndAnnounce(server: Server, onClose?: () => Promise<unknown>): void {
  server.keepAliveTimeout = 65_000;
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    const address = server.address();
    if (!address || typeof address !== 'object') throw new Error('not listening on TCP');
    process.stdout.write(`${JSON.stringify({ listening: address.port })}\n`);
  });
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close();
    void Promise.resolve(onClose?.()).finally(() => process.exit(0));
  });
}
