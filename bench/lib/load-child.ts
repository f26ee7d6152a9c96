/**
 * The load generator's process (forked by bench/lib/load.ts): receives a LoadSpec over IPC,
 * runs an optional warm-up then the timed window with autocannon, sends back the figures.
 */
import autocannon from 'autocannon';

import { type LoadResult, type LoadSpec, type Workload, assertLoopback } from './load.ts';

const VALUES = [1, -1, 0] as const;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

function requestsOf(w: Workload): autocannon.Request[] {
  if (w.kind === 'get') return [{ method: 'GET', path: w.path, headers: w.headers ?? {} }];
  if (w.models.length === 0 || w.cookies.length === 0) throw new Error('no models or voters');
  if (w.kind === 'visit') {
    // autocannon hands each connection's steps one context object, kept across the sequence.
    return w.steps.map((step, i) => ({
      method: step.method,
      path: step.path,
      setupRequest: (req: autocannon.Request, context: object) => {
        const visit = context as { cookie?: string };
        if (i === 0 || !visit.cookie) visit.cookie = pick(w.cookies);
        const headers = { ...step.headers, cookie: visit.cookie };
        if (step.method === 'GET') return { ...req, headers };
        const input = { llmId: pick(w.models), value: pick(VALUES) };
        return {
          ...req,
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(input),
        };
      },
    }));
  }
  return [
    {
      method: 'POST',
      path: w.path,
      setupRequest: (req) => {
        const input = { llmId: pick(w.models), value: pick(VALUES) };
        return {
          ...req,
          headers: { 'content-type': 'application/json', cookie: pick(w.cookies) },
          body: JSON.stringify(w.body === 'batch' ? { 0: input } : input),
        };
      },
    },
  ];
}

/**
 * One autocannon window. Latencies are also recorded here, per 2xx response, from autocannon's
 * own float timings: its histogram keeps whole milliseconds, too coarse below ~5 ms.
 */
function timedRun(
  opts: autocannon.Options,
): Promise<{ r: autocannon.Result; latencies: Float64Array }> {
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err: unknown, r: autocannon.Result) => {
      if (err) reject(err instanceof Error ? err : new Error('autocannon failed', { cause: err }));
      else resolve({ r, latencies: latencies.subarray(0, n) });
    });
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode < 200 || statusCode > 299) return;
      if (n === latencies.length) {
        const grown = new Float64Array(n * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[n++] = ms;
    });
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const ms = sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return Math.round(ms * 100) / 100;
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  assertLoopback(spec.origin);
  const base = {
    url: spec.origin,
    connections: spec.connections,
    requests: requestsOf(spec.workload),
    timeout: 10,
    ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
  };
  if (spec.warmupSec > 0) await timedRun({ ...base, duration: spec.warmupSec });
  const { r, latencies } = await timedRun({
    ...base,
    duration: spec.durationSec,
    maxOverallRequests: spec.maxRequests,
  });
  latencies.sort();
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(r.statusCodeStats ?? {}))
    statusCodes[code] = stat.count ?? 0;
  return {
    rps: Math.round(r.requests.average),
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    p99Ms: percentile(latencies, 0.99),
    requests: r.requests.total,
    errors: r.non2xx + r.errors,
    connectionErrors: r.errors,
    statusCodes,
    durationSec: r.duration,
  };
}

process.once('message', (spec: LoadSpec) => {
  run(spec)
    .then((result) => process.send!({ ok: true, result }, () => process.exit(0)))
    .catch((err: unknown) =>
      process.send!({ ok: false, error: err instanceof Error ? err.message : String(err) }, () =>
        process.exit(1),
      ),
    );
});
