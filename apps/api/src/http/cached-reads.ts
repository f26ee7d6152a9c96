import type { IncomingMessage, ServerResponse } from 'node:http';

import { Negotiator } from '@fastify/accept-negotiator';
import { HSTS_HEADER } from '@llmpt/shared/security-headers';

import { type Deps, EarlyContext } from '../context.ts';
import { fingerprintOf, syncFingerprint } from '../flags/fingerprint.ts';
import { cacheVersionOf, edgeTtlOf, procedureAt, variantOf, withVariant } from '../trpc-wire.ts';
import { CounterSeries } from '../metrics.ts';
import type { Entry } from './response-cache.ts';

const PREFIX = '/trpc/';
const INPUT = 'input=';
/** Distinct query strings whose decoded input is kept. */
const MAX_REMEMBERED = 1_000;

const KINDS = ['plain', 'gzip', 'notModified'] as const;
type Kind = (typeof KINDS)[number];

/** Accept-Encoding negotiation (q-values, `*`, `identity;q=0`). No result cache: headers are user-controlled. */
export const encodings = new Negotiator({ supportedValues: ['gzip', 'identity'] });

/** Public, shared by everyone; clients and nginx revalidate with the ETag (a 304 is cheap). */
export const CACHEABLE = 'public, max-age=0, must-revalidate';

/**
 * Answers a GET of a cached public read (`rankings.list`, `llm.list`) as soon as node:http has
 * parsed it, before fastify sees the request: no routing, hooks, request and reply objects or
 * header-by-header writes, one `writeHead` of prebuilt headers and the cached bytes. The
 * leaderboard is the most read thing there is, and this is most of the gap to a bare server
 * serving the same body (docs/benchmarks.md).
 *
 * Only a hit is answered here, and only when nothing but the cache decides the answer: a miss,
 * a caller whose variant needs a cookie written (a new visitor, a fingerprint to correct), a
 * request with a body or with anything but `input` in its query, a HEAD, all return false and go
 * to fastify, whose route (trpc-route.ts) serves the same read the long way with the same rules:
 * the same cache key, version and variant (ProcedureMeta), the same headers (the security
 * headers, ETag and 304, gzip, Vary, Cache-Control, X-Accel-Expires) and the same metrics.
 */
export function cachedReads(
  deps: Deps,
  securityHeaders: readonly string[],
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { metrics } = deps;
  const hits = new CounterSeries(metrics.cacheRequests, {
    layer: 'l1',
    cache: 'response',
    result: 'hit',
  });
  const heads = new Heads(securityHeaders);
  const inputs = new Inputs();
  const httpsOf = (req: IncomingMessage) => isHttps(req, deps.trustProxy);

  return (req, res) => {
    const url = req.url;
    if (req.method !== 'GET' || url === undefined || !url.startsWith(PREFIX)) return false;
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'])
      return false;
    const start = performance.now();
    const queryAt = url.indexOf('?');
    const path = queryAt < 0 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, queryAt);
    const procedure = procedureAt(path);
    if (procedure?._def.type !== 'query') return false;
    const base = cacheVersionOf(path, deps);
    if (base === null) return false;
    const input = queryAt < 0 ? '' : inputs.of(url.slice(queryAt + 1));
    if (input === null) return false;

    let edgeTtl = edgeTtlOf(path);
    let variant: string | null = null;
    if (procedure._def.meta?.variant) {
      const ctx = new EarlyContext(deps, req);
      variant = variantOf(path, () => ctx);
      if (variant !== null && !syncFingerprint(ctx, fingerprintOf(ctx, variant))) edgeTtl = null;
      if (ctx.handOver) return false;
    }
    const { key, version } = withVariant(`${path}?${input}`, base, variant, deps);
    const entry = deps.responses.peek(key, version);
    if (!entry) return false;

    hits.inc();
    const https = httpsOf(req);
    writeCached(req, res, entry, (kind) => heads.of(entry, edgeTtl, https, kind));
    metrics.series.requestOk.query(path).observe((performance.now() - start) / 1000);
    return true;
  };
}

/**
 * The `input` of query strings that hold it alone, decoded as fastify's query parser does (`+`
 * is a space); '' when there is none; null for anything else (other parameters, an empty or
 * undecodable input), which is fastify's to answer. Remembered: a page asks with the same few
 * inputs all day (bounded, since they are the client's).
 */
class Inputs {
  private readonly decoded = new Map<string, string | null>();

  of(query: string): string | null {
    if (query === '') return '';
    let input = this.decoded.get(query);
    if (input !== undefined) return input;
    input = decodeInput(query);
    if (this.decoded.size >= MAX_REMEMBERED) this.decoded.clear();
    this.decoded.set(query, input);
    return input;
  }
}

function decodeInput(query: string): string | null {
  if (!query.startsWith(INPUT) || query.includes('&') || query.length === INPUT.length) return null;
  const raw = query.slice(INPUT.length);
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return null;
  }
}

/**
 * The response headers of each cached entry, built once per entry and kind (200 plain, 200
 * gzip, 304; with or without X-Accel-Expires and HSTS): the security headers, the ETag, Vary,
 * Cache-Control, the content's type, length and encoding.
 */
class Heads {
  private readonly built = new WeakMap<Entry, Map<number, string[]>>();

  constructor(private readonly securityHeaders: readonly string[]) {}

  of(entry: Entry, edgeTtl: number | null, https: boolean, heads: Kind): string[] {
    let built = this.built.get(entry);
    if (!built) this.built.set(entry, (built = new Map<number, string[]>()));
    // An entry belongs to one path, so its edge TTL is either none or that path's.
    const slot = (edgeTtl === null ? 0 : 6) + (https ? 3 : 0) + KINDS.indexOf(heads);
    let headers = built.get(slot);
    if (!headers) built.set(slot, (headers = this.build(entry, edgeTtl, https, heads)));
    return headers;
  }

  private build(entry: Entry, edgeTtl: number | null, https: boolean, heads: Kind): string[] {
    const headers = [...this.securityHeaders];
    if (https) headers.push('strict-transport-security', HSTS_HEADER);
    headers.push('etag', entry.etag, 'cache-control', CACHEABLE, 'vary', 'accept-encoding');
    if (edgeTtl !== null) headers.push('x-accel-expires', String(edgeTtl));
    if (heads === 'notModified') return headers;
    const body = heads === 'gzip' ? entry.gzip() : entry.body;
    headers.push('content-type', 'application/json', 'content-length', String(body?.length));
    if (heads === 'gzip') headers.push('content-encoding', 'gzip');
    return headers;
  }
}

/** Whether the request came over TLS, by fastify's rule (`request.protocol`). */
export function isHttps(req: IncomingMessage, trustProxy: Deps['trustProxy']): boolean {
  const header = req.headers['x-forwarded-proto'];
  const socket = req.socket;
  if (header && trustProxy(socket.remoteAddress ?? '', 0)) {
    const forwarded = String(header);
    const last = forwarded.lastIndexOf(',');
    return (last < 0 ? forwarded : forwarded.slice(last + 1)).trim() === 'https';
  }
  return 'encrypted' in socket && socket.encrypted === true;
}

/**
 * A cached answer: 304 when the client already holds this version, else the body, gzipped when
 * the client accepts it. Headers and body leave in one write.
 */
function writeCached(
  req: IncomingMessage,
  res: ServerResponse,
  entry: Entry,
  headers: (kind: Kind) => string[],
): void {
  if (req.headers['if-none-match'] === entry.etag) {
    res.writeHead(304, headers('notModified'));
    res.end();
    return;
  }
  const accepted = encodings.negotiate(req.headers['accept-encoding'] ?? 'identity');
  const gzip = accepted === 'gzip' ? entry.gzip() : null;
  res.writeHead(200, headers(gzip ? 'gzip' : 'plain'));
  res.end(gzip ?? entry.body);
}
