import { budgetOf } from '../lib/budget.ts';
import {
  BROWSER_ENCODING,
  FROM_CACHE,
  accessLogOffset,
  cacheShare,
  rawGet,
  readAccessLog,
  startBenchEdge,
} from '../lib/edge.ts';
import { ratio } from '../lib/figures.ts';
import { type LoadResult, assertFewErrors, runLoad } from '../lib/load.ts';
import type { Scenario } from '../lib/types.ts';

/** The leaderboard as the SPA asks for it: `rankings.query()` over httpLink, no input. */
const RANKINGS_PATH = '/trpc/rankings.list';
const STATIC_PATH = '/rankings.json';

/**
 * The leaderboard read through the edge: nginx (the repository's config, its proxy_cache) in
 * front of one api process, the cache warm, an anonymous reader's GET of `rankings.list` as the
 * SPA sends it. Measured against the same nginx serving the same bytes as a static file (a second
 * server of the same nginx: the api's plain body, and its gzip member through gzip_static), gzip
 * (`Accept-Encoding` as browsers send it) and plain, proxy and static interleaved. `hitRate`: HIT
 * share of the proxied reads in the timed windows, from nginx's access log; `fromCacheRate`
 * counts the stale copies served while an entry is refreshed too (the api's edge TTL here is 1 s).
 * The worker is stopped once the board is published, as in `rankingsRead`.
 */
export const scenario: Scenario = {
  name: 'edgeRead',
  describe: 'rankings.list through nginx’s cache vs the same bytes as a static file in that nginx',
  async run(ctx) {
    const b = budgetOf(ctx.opts);
    const edge = await startBenchEdge(ctx, {
      apis: 1,
      keepWorker: false,
      staticFiles: async (apiUrl) => {
        const plain = await rawGet(`${apiUrl}${RANKINGS_PATH}`);
        const gzip = await rawGet(`${apiUrl}${RANKINGS_PATH}`, BROWSER_ENCODING);
        if (plain.status !== 200 || gzip.headers['content-encoding'] !== 'gzip')
          throw new Error(`rankings.list: HTTP ${plain.status}, gzip member missing`);
        return { 'rankings.json': plain.body, 'rankings.json.gz': gzip.body };
      },
    });
    try {
      const sizes: Record<string, number> = {};
      // Warm: each encoding's entry in the cache, and every answer the same size as the file.
      for (const [name, headers] of [
        ['plain', {}],
        ['gzip', BROWSER_ENCODING],
      ] as const) {
        let proxied = await rawGet(`${edge.url}${RANKINGS_PATH}`, headers);
        for (let i = 0; proxied.headers['x-cache-status'] !== 'HIT'; i++) {
          if (i > 100) throw new Error(`${name}: no cache HIT (${proxied.status})`);
          await new Promise((r) => setTimeout(r, 50));
          proxied = await rawGet(`${edge.url}${RANKINGS_PATH}`, headers);
        }
        const file = await rawGet(`${edge.staticUrl}${STATIC_PATH}`, headers);
        if (file.status !== 200 || !file.body.equals(proxied.body))
          throw new Error(`${name}: the static file differs from the cached answer`);
        sizes[name] = proxied.body.length;
      }

      const load = async (origin: string, path: string, headers: Record<string, string>) => {
        // Warm-up apart, so the access log read afterwards holds the timed window only.
        const spec = { origin, connections: b.connections, maxRequests: b.maxRequests };
        const workload = { kind: 'get', path, headers } as const;
        await runLoad(ctx.repoRoot, { ...spec, workload, warmupSec: 0, durationSec: b.warmupSec });
        const offset = await accessLogOffset(edge.accessLog);
        const r = await runLoad(ctx.repoRoot, {
          ...spec,
          workload,
          warmupSec: 0,
          durationSec: b.durationSec,
        });
        assertFewErrors(`edgeRead ${origin}${path}`, r);
        return { r, logged: await readAccessLog(edge.accessLog, offset) };
      };
      const figures = async (headers: Record<string, string>) => {
        const proxied = await load(edge.url, RANKINGS_PATH, headers);
        const file = await load(edge.staticUrl, STATIC_PATH, headers);
        return { proxied: proxied.r, logged: proxied.logged, file: file.r };
      };
      const gzip = await figures(BROWSER_ENCODING);
      ctx.log(`edgeRead gzip: ${gzip.proxied.rps} req/s, static ${gzip.file.rps}`);
      const plain = await figures({});
      ctx.log(`edgeRead plain: ${plain.proxied.rps} req/s, static ${plain.file.rps}`);
      const reads = [...gzip.logged, ...plain.logged].filter((r) => r.path === RANKINGS_PATH);
      const line = (prefix: string, p: LoadResult, s: LoadResult) => ({
        [`${prefix}Rps`]: p.rps,
        [`${prefix}P50Ms`]: p.p50Ms,
        [`${prefix}P99Ms`]: p.p99Ms,
        [`${prefix}StaticRps`]: s.rps,
        [`${prefix}StaticP99Ms`]: s.p99Ms,
      });
      return {
        // The headline: as browsers read it.
        rps: gzip.proxied.rps,
        p50Ms: gzip.proxied.p50Ms,
        p99Ms: gzip.proxied.p99Ms,
        staticRps: gzip.file.rps,
        ratioToStatic: ratio(gzip.proxied.rps, gzip.file.rps),
        ...line('plain', plain.proxied, plain.file),
        plainRatioToStatic: ratio(plain.proxied.rps, plain.file.rps),
        hitRate: cacheShare(reads),
        fromCacheRate: cacheShare(reads, FROM_CACHE),
        gzipBytes: sizes.gzip!,
        plainBytes: sizes.plain!,
        errors: gzip.proxied.errors + plain.proxied.errors,
      };
    } finally {
      await edge.stop();
    }
  },
};
