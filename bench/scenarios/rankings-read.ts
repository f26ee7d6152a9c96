import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { apiStack } from '../lib/api-stack.ts';
import { budgetOf } from '../lib/budget.ts';
import { figure, httpFigures, ratio } from '../lib/figures.ts';
import { assertFewErrors, runLoad } from '../lib/load.ts';
import { startServer } from '../lib/servers.ts';
import type { Scenario } from '../lib/types.ts';

/**
 * The leaderboard as the SPA reads it: `rankings.list` as a GET, served from the api's L1.
 * Besides the 20-byte ceiling it is measured against `sizedCeiling`: the same bare node:http
 * server answering this very response body (~35 KB), so payload cost (kernel copies, the load
 * generator reading it) and framework cost can be told apart. `gzip*`: the same read as a browser
 * makes it (Accept-Encoding: gzip), served from the gzip member cached with the response.
 */
export const scenario: Scenario = {
  name: 'rankingsRead',
  describe: 'rankings.list as GET, one api process (L1 rankings + catalogue)',
  async run(ctx) {
    const b = budgetOf(ctx.opts);
    const api = await apiStack(ctx);
    const url = `/trpc/rankings.list?input=${encodeURIComponent(JSON.stringify({ sort: 'score' }))}`;
    const sample = await (await fetch(`${api.origin}${url}`)).text();
    const rows = (JSON.parse(sample) as { result: { data: unknown[] } }).result.data.length;
    const r = await runLoad(ctx.repoRoot, {
      origin: api.origin,
      workload: { kind: 'get', path: url },
      connections: b.connections,
      warmupSec: b.warmupSec,
      durationSec: b.durationSec,
      maxRequests: b.maxRequests,
    });
    assertFewErrors('rankingsRead', r);

    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-bench-body-'));
    const bodyFile = path.join(dir, 'body.json');
    await writeFile(bodyFile, sample);
    const sized = await startServer(ctx, 'ceiling-server.ts', { BODY_FILE: bodyFile });
    let sizedRps: number;
    try {
      const s = await runLoad(ctx.repoRoot, {
        origin: sized.url,
        workload: { kind: 'get', path: '/' },
        connections: b.connections,
        warmupSec: b.warmupSec,
        durationSec: b.durationSec,
        maxRequests: b.maxRequests,
      });
      assertFewErrors('rankingsRead sized ceiling', s);
      sizedRps = s.rps;
    } finally {
      await sized.stop();
      await rm(dir, { recursive: true, force: true });
    }
    // As a browser fetches it: Accept-Encoding gzip, answered from the cached gzip member.
    const gzipHeaders = { 'accept-encoding': 'gzip, deflate, br' };
    const gz = await fetch(`${api.origin}${url}`, { headers: gzipHeaders });
    const gzipBytes = Number(gz.headers.get('content-length') ?? 0);
    await gz.arrayBuffer();
    const g = await runLoad(ctx.repoRoot, {
      origin: api.origin,
      workload: { kind: 'get', path: url, headers: gzipHeaders },
      connections: b.connections,
      warmupSec: b.warmupSec,
      durationSec: b.durationSec,
      maxRequests: b.maxRequests,
    });
    assertFewErrors('rankingsRead gzip', g);
    return {
      ...httpFigures(r),
      ratioToCeiling: ratio(r.rps, figure(ctx.results, 'ceiling', 'rps')),
      gzipRps: g.rps,
      gzipP99Ms: g.p99Ms,
      gzipBytes,
      gzipRatioToCeiling: ratio(g.rps, figure(ctx.results, 'ceiling', 'rps')),
      sizedCeilingRps: sizedRps,
      ratioToSizedCeiling: ratio(r.rps, sizedRps),
      rows,
      responseBytes: Buffer.byteLength(sample),
    };
  },
};
