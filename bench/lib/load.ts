import { fork } from 'node:child_process';

import { stopChild, track } from './children.ts';

/** What each load-generator connection sends. */
export type Workload =
  | { kind: 'get'; path: string; headers?: Record<string, string> }
  | {
      /** POST of `{"llmId","value"}` with a random cookie, model and value (1, -1 or 0). */
      kind: 'vote';
      path: string;
      models: string[];
      /** Whole `Cookie` header values, e.g. `vid=<signed id>`. */
      cookies: string[];
      /** 'batch': tRPC's batch body `{"0":input}` (for `?batch=1`). */
      body: 'single' | 'batch';
    }
  | {
      /**
       * A visit, its steps in order on each connection, as one voter (a random cookie of
       * `cookies` per visit): GETs as given, POSTs with a vote `{"llmId","value"}` as `vote`.
       */
      kind: 'visit';
      steps: Array<{ method: 'GET' | 'POST'; path: string; headers?: Record<string, string> }>;
      models: string[];
      cookies: string[];
    };

export interface LoadSpec {
  /** http://127.0.0.1:PORT: loopback only. */
  origin: string;
  workload: Workload;
  connections: number;
  warmupSec: number;
  durationSec: number;
  /** Count bound of the timed window. */
  maxRequests: number;
  /** Requests per second over all connections (autocannon's overallRate); none: as fast as answered. */
  overallRate?: number;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Responses in the timed window (any status). */
  requests: number;
  /** Non-2xx responses plus connection errors and timeouts. */
  errors: number;
  /** Connection errors and timeouts (no response). */
  connectionErrors: number;
  /** Responses by status code. */
  statusCodes: Record<string, number>;
  durationSec: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Throws unless `url` points at this machine: benchmarks never load anything else. */
export function assertLoopback(url: string): void {
  const { hostname } = new URL(url);
  if (!LOOPBACK.has(hostname)) throw new Error(`benchmarks target loopback only, not ${hostname}`);
}

/**
 * Runs autocannon in a separate process (bench/lib/load-child.ts), so the load generator and
 * the server under test each get a core; the figures come back over IPC. Bounded: the child is
 * killed if it overruns its window by 30 s.
 */
export async function runLoad(repoRoot: string, spec: LoadSpec): Promise<LoadResult> {
  assertLoopback(spec.origin);
  const child = track(
    fork(`${repoRoot}/bench/lib/load-child.ts`, [], {
      cwd: repoRoot,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const limitMs = (spec.warmupSec + spec.durationSec + 30) * 1000;
  try {
    return await new Promise<LoadResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('load generator overran')), limitMs);
      child.once(
        'message',
        (msg: { ok: true; result: LoadResult } | { ok: false; error: string }) => {
          clearTimeout(timer);
          if (msg.ok) resolve(msg.result);
          else reject(new Error(`load generator: ${msg.error}`));
        },
      );
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`load generator exited (${signal ?? code}) without a result`));
      });
      child.send(spec);
    });
  } finally {
    await stopChild(child, 2_000);
  }
}

/** Fails a run whose error share makes its figures meaningless (> 1 % by default). */
export function assertFewErrors(name: string, r: LoadResult, maxShare = 0.01): void {
  const total = r.requests + r.connectionErrors;
  if (total === 0) throw new Error(`${name}: no response at all`);
  if (r.errors / total > maxShare) {
    const codes = Object.entries(r.statusCodes)
      .map(([code, n]) => `HTTP ${code} ×${n}`)
      .concat(r.connectionErrors ? [`connection errors ×${r.connectionErrors}`] : [])
      .join(', ');
    throw new Error(
      `${name}: ${r.errors} errors in ${total} requests (over ${maxShare * 100} %): ${codes}`,
    );
  }
}
