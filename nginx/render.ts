/**
 * Renders nginx/nginx.conf.template for a deployment or a test (nginx/run.ts starts it).
 *
 *   node --import tsx nginx/render.ts --listen 0.0.0.0:80 --web-root /srv/llmpt/web \
 *     --api 10.0.0.11:3000 --api 10.0.0.12:3000 --prefix /var/lib/llmpt-nginx \
 *     [--proxy-bind 10.0.0.5] [--tls-listen 0.0.0.0:443 --tls-cert C --tls-key K] \
 *     [--limit votesPerMinute=60 …] [--access-log /var/log/llmpt-edge.log] \
 *     [--status-listen 127.0.0.1:8080] > nginx.conf
 *   nginx -p /var/lib/llmpt-nginx -c "$PWD/nginx.conf"
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import {
  HSTS_HEADER,
  STATIC_SECURITY_HEADERS,
  cspHeader,
  inlineScriptHashes,
} from '@llmpt/shared/security-headers';

/** Per-client-address limits at the edge (the seed's zones), each with its burst. */
export interface EdgeLimits {
  /** API zone: /trpc requests other than votes, per second. */
  apiPerSecond: number;
  apiBurst: number;
  /** Voting zone: POSTs calling vote.cast (alone or in a batch), per minute. */
  votesPerMinute: number;
  voteBurst: number;
  /** Static zone: the SPA's files, per second. */
  staticPerSecond: number;
  staticBurst: number;
  /** Concurrent connections (an open WebSocket or SSE stream counts while it lasts). */
  connectionsPerAddress: number;
}

/**
 * The seed's zones (API 100 r/s, voting 60 r/min, static 200 r/s) with bursts of about a second
 * of traffic (ten votes: a visitor voting on a handful of models at once), and 100 connections:
 * enough for a household or office behind one address, each tab holding one WebSocket.
 */
export const DEFAULT_EDGE_LIMITS: Readonly<EdgeLimits> = {
  apiPerSecond: 100,
  apiBurst: 100,
  votesPerMinute: 60,
  voteBurst: 10,
  staticPerSecond: 200,
  staticBurst: 200,
  connectionsPerAddress: 100,
};

export interface NginxConfigOptions {
  /** `host:port` (or a port) to listen on, plain HTTP. */
  listen: string;
  /** The built SPA (apps/web/dist). */
  webRoot: string;
  /** api processes as `host:port`. */
  apiServers: string[];
  /** Writable folder for the pid file, error log, temp files and the cache. */
  prefix: string;
  /** Worker user (the `user` directive); omitted: nginx's default. */
  user?: string;
  mimeTypes?: string;
  /**
   * Local address nginx connects to the apis from (`proxy_bind`), e.g. 127.0.0.2 on one host:
   * run the apis with TRUST_PROXY set to it, so only nginx's X-Forwarded-For is believed.
   */
  proxyBind?: string;
  /** A second listener with TLS and HTTP/2 (e.g. `0.0.0.0:443`), with its PEM files. */
  tls?: { listen: string; cert: string; key: string };
  /** Defaults: {@link DEFAULT_EDGE_LIMITS}. */
  limits?: Partial<EdgeLimits>;
  /** Access log file (with the cache status of each request); omitted: no access log. */
  accessLog?: string;
  /** `worker_processes`; default `auto` (one per core). */
  workerProcesses?: number | 'auto';
  /**
   * An internal listener (e.g. `127.0.0.1:7102`) serving nginx's own counters at
   * `/stub_status` for the Prometheus nginx exporter; nothing else answers there. Omitted: none.
   */
  statusListen?: string;
}

const TEMPLATE = fileURLToPath(new URL('./nginx.conf.template', import.meta.url));
const SAFE = /^[\w./:@-]+$/;

/** The configuration text; refuses values that could break out of their directive. */
export function renderNginxConfig(opts: NginxConfigOptions): string {
  const values = [
    opts.listen,
    opts.webRoot,
    opts.prefix,
    ...opts.apiServers,
    opts.user ?? '',
    opts.mimeTypes ?? '',
    opts.proxyBind ?? '',
    opts.accessLog ?? '',
    opts.statusListen ?? '',
    ...(opts.tls ? [opts.tls.listen, opts.tls.cert, opts.tls.key] : []),
  ];
  for (const v of values) {
    if (v !== '' && !SAFE.test(v)) throw new Error(`nginx config: unsafe value "${v}"`);
  }
  if (opts.apiServers.length === 0) throw new Error('nginx config: at least one --api server');
  const limits = { ...DEFAULT_EDGE_LIMITS, ...opts.limits };
  for (const [name, n] of Object.entries(limits)) {
    if (!Number.isInteger(n) || n < (name.endsWith('Burst') ? 0 : 1))
      throw new Error(`nginx config: limit ${name} must be a whole number, got ${n}`);
  }
  // nginx keeps each address's count in 16 bits.
  if (limits.connectionsPerAddress > 65_535)
    throw new Error('nginx config: limit connectionsPerAddress must be at most 65535');
  const workers = opts.workerProcesses ?? 'auto';
  if (workers !== 'auto' && !(Number.isInteger(workers) && workers >= 1))
    throw new Error(`nginx config: workerProcesses must be "auto" or a whole number`);
  const prefix = path.resolve(opts.prefix);
  const webRoot = path.resolve(opts.webRoot);
  const vars: Record<string, string> = {
    USER: opts.user ? `user ${opts.user};` : '',
    WORKER_PROCESSES: String(workers),
    PREFIX: prefix,
    MIME_TYPES: opts.mimeTypes ?? '/etc/nginx/mime.types',
    ACCESS_LOG: accessLog(opts.accessLog),
    LISTEN: opts.listen,
    TLS: opts.tls ? tlsDirectives(opts.tls) : '',
    WEB_ROOT: webRoot,
    API_SERVERS: opts.apiServers.map((s) => `    server ${s};`).join('\n'),
    PROXY_BIND: opts.proxyBind ? `    proxy_bind ${opts.proxyBind};` : '',
    SECURITY_HEADERS: securityHeaders(webRoot),
    HSTS: HSTS_HEADER,
    API_RATE: `${limits.apiPerSecond}r/s`,
    API_BURST: String(limits.apiBurst),
    VOTE_RATE: `${limits.votesPerMinute}r/m`,
    VOTE_BURST: String(limits.voteBurst),
    VOTE_RETRY_AFTER: String(Math.ceil(60 / limits.votesPerMinute)),
    STATIC_RATE: `${limits.staticPerSecond}r/s`,
    STATIC_BURST: String(limits.staticBurst),
    CONNECTIONS_PER_ADDRESS: String(limits.connectionsPerAddress),
    STATUS_SERVER: opts.statusListen ? statusServer(opts.statusListen) : '',
  };
  return readFileSync(TEMPLATE, 'utf8').replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`nginx config: no value for {{${name}}}`);
    return value;
  });
}

/**
 * One line per request with what a cache hit rate and a latency need: the cache status
 * (HIT, MISS, EXPIRED, STALE, UPDATING, REVALIDATED, or - when the cache was not consulted).
 */
function accessLog(file: string | undefined): string {
  if (!file) return 'access_log off;';
  return [
    `log_format llmpt_edge '$remote_addr "$request" $status $body_bytes_sent $request_time '`,
    `    'cache=$upstream_cache_status upstream=$upstream_addr upstream_time=$upstream_response_time';`,
    `  access_log ${path.resolve(file)} llmpt_edge;`,
  ].join('\n');
}

/** The internal listener of nginx's counters: no limits, no log, nothing but /stub_status. */
function statusServer(listen: string): string {
  return [
    '  server {',
    `    listen ${listen};`,
    '    access_log off;',
    '    location = /stub_status {',
    '      stub_status;',
    '    }',
    '    location / {',
    '      return 404;',
    '    }',
    '  }',
  ].join('\n');
}

function tlsDirectives(tls: NonNullable<NginxConfigOptions['tls']>): string {
  return [
    // nginx 1.22 (Debian 12) has no `http2 on;`: HTTP/2 is a flag of the listener.
    `    listen ${tls.listen} ssl http2;`,
    `    ssl_certificate ${path.resolve(tls.cert)};`,
    `    ssl_certificate_key ${path.resolve(tls.key)};`,
    '    ssl_protocols TLSv1.2 TLSv1.3;',
    '    ssl_session_cache shared:llmpt_tls:10m;',
    '    ssl_session_timeout 1h;',
  ].join('\n');
}

/**
 * The site's security headers for the answers nginx makes itself (the SPA's files, its 429s),
 * from the definition the api's helmet uses too; the CSP allows the built shell's inline script
 * by hash, HSTS goes only over TLS. `always`: error pages carry them as well. /trpc gets them
 * from the api, not twice.
 */
function securityHeaders(webRoot: string): string {
  const shell = path.join(webRoot, 'index.html');
  const hashes = existsSync(shell) ? inlineScriptHashes(readFileSync(shell, 'utf8')) : [];
  const headers: Array<[string, string]> = [
    ['Content-Security-Policy', `"${cspHeader(hashes)}"`],
    ...Object.entries(STATIC_SECURITY_HEADERS).map(([k, v]): [string, string] => [k, `"${v}"`]),
    ['Strict-Transport-Security', '$llmpt_hsts'],
  ];
  return headers.map(([name, value]) => `add_header ${name} ${value} always;`).join('\n      ');
}

const LIMIT_NAMES = Object.keys(DEFAULT_EDGE_LIMITS) as Array<keyof EdgeLimits>;

/** `name=value` flags (`--limit votesPerMinute=5`) as limits. */
function parseLimits(flags: string[]): Partial<EdgeLimits> {
  const limits: Partial<EdgeLimits> = {};
  for (const flag of flags) {
    const [name, value] = flag.split('=');
    if (!LIMIT_NAMES.includes(name as keyof EdgeLimits) || value === undefined)
      throw new Error(
        `--limit ${flag}: expected NAME=N with NAME one of ${LIMIT_NAMES.join(', ')}`,
      );
    limits[name as keyof EdgeLimits] = Number(value);
  }
  return limits;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    const { values } = parseArgs({
      strict: true,
      options: {
        listen: { type: 'string', default: '80' },
        'web-root': { type: 'string' },
        api: { type: 'string', multiple: true },
        prefix: { type: 'string' },
        user: { type: 'string' },
        'proxy-bind': { type: 'string' },
        'tls-listen': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        limit: { type: 'string', multiple: true, default: [] },
        'access-log': { type: 'string' },
        'status-listen': { type: 'string' },
      },
    });
    if (!values['web-root'] || !values.prefix || !values.api?.length) {
      throw new Error('--web-root, --prefix and at least one --api are required');
    }
    const tlsFlags = [values['tls-listen'], values['tls-cert'], values['tls-key']];
    if (tlsFlags.some(Boolean) && !tlsFlags.every(Boolean))
      throw new Error('--tls-listen, --tls-cert and --tls-key go together');
    process.stdout.write(
      renderNginxConfig({
        listen: values.listen,
        webRoot: values['web-root'],
        apiServers: values.api,
        prefix: values.prefix,
        user: values.user,
        proxyBind: values['proxy-bind'],
        tls: values['tls-listen']
          ? { listen: values['tls-listen'], cert: values['tls-cert']!, key: values['tls-key']! }
          : undefined,
        limits: parseLimits(values.limit),
        accessLog: values['access-log'],
        statusListen: values['status-listen'],
      }),
    );
  } catch (err) {
    console.error(`nginx/render.ts: ${(err as Error).message}`);
    console.error(
      'usage: node --import tsx nginx/render.ts --web-root DIR --prefix DIR --api HOST:PORT [--api …]\n' +
        '         [--listen ADDR:PORT] [--user USER] [--proxy-bind ADDR] [--access-log FILE]\n' +
        '         [--status-listen ADDR:PORT]\n' +
        '         [--tls-listen ADDR:PORT --tls-cert PEM --tls-key PEM] [--limit NAME=N …]',
    );
    process.exit(2);
  }
}
