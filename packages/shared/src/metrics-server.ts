import { type Server, createServer } from 'node:http';

/** What a Prometheus registry offers (prom-client's `Registry` and `AggregatorRegistry` fit). */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsServer {
  server: Server;
  /** The bound address as a URL of its /metrics, e.g. http://127.0.0.1:9463/metrics. */
  url: string;
  close(): Promise<void>;
}

/**
 * The internal listener of a process's /metrics (and /healthz), apart from any public port:
 * Prometheus scrapes each process here directly, and nginx never proxies it. Port 0 picks a
 * free port (`url` tells which). Server-only: `@llmpt/shared/metrics-server`.
 */
export async function serveMetrics(
  source: MetricsSource,
  opts: {
    host: string;
    port: number;
    /** /healthz answers 503 `{"status":"starting"}` while this says false (default: ready). */
    ready?: () => boolean;
  },
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      source
        .metrics()
        .then((body) => res.writeHead(200, { 'content-type': source.contentType }).end(body))
        .catch((err: unknown) => {
          res
            .writeHead(500, { 'content-type': 'text/plain' })
            .end(`metrics failed: ${String(err)}`);
        });
    } else if (path === '/healthz') {
      const ok = opts.ready?.() ?? true;
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(ok ? '{"status":"ok"}' : '{"status":"starting"}');
    } else {
      res.writeHead(404).end();
    }
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    server,
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
