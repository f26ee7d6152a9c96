import { freePort, portOrFree } from '@llmpt/devstack';

import { type AppProcess, type Exit, type Output, type RunMode, spawnApp } from './app-process.ts';
import type { ServerApp } from './bundle-check.js';
import { bundleIfStale } from './bundle.ts';
import { acceptsVotes, answers200, waitUntil } from './health.ts';

/** The metrics ports the apps default to, kept when free in `usual` mode. */
export const USUAL_METRICS_PORT = { api: 9463, worker: 9464 } as const;

/**
 * Metrics listeners (/metrics, and the worker's /healthz) of the processes:
 * - `free`: each on a free port (tests, bench);
 * - `usual`: the first api on 9463 and the first worker on 9464 when those are free, the others
 *   (and a taken one) on free ports: `npm start`, where a port held by another program must not
 *   stop the product;
 * - `off`: none (METRICS_PORT=-1); a worker's start-up then shows only through the api.
 */
export type MetricsPorts = 'free' | 'usual' | 'off';

export interface StackOptions {
  /** api processes to start, each on its own public port. */
  apis: number;
  /** worker processes to start. */
  workers: number;
  /** Environment of every process: DATABASE_URL, REDIS_URL, VOTER_COOKIE_SECRET, prefixes… */
  env: Record<string, string>;
  /** Default `production` (the bundles). */
  mode?: RunMode;
  /** Interface the apis listen on (HOST); default 127.0.0.1. */
  host?: string;
  /** Public port of api i; free ports for the others. */
  apiPorts?: number[];
  /** Default `free`. */
  metrics?: MetricsPorts;
  /** Interface of the metrics listeners; default 127.0.0.1. */
  metricsHost?: string;
  /** Extra node flags per process name (`api-1`, `worker-2`), e.g. --cpu-prof. */
  nodeArgs?: (name: string) => string[];
  stdout?: Output;
  stderr?: Output;
  /** A process exited on its own while the stack was up (not through stop()). */
  onExit?: (proc: AppProcess, exit: Exit) => void;
  /** How long start-up may take until every process is healthy (default 120 s). */
  readyTimeoutMs?: number;
  /** Aborting makes a pending start-up reject at once (startStack then stops what it started). */
  signal?: AbortSignal;
  /** Repository root; default the one this module lives in. */
  root?: string;
  /** Hears what the stack does on its own, e.g. rebuilding a stale bundle. */
  log?: (msg: string) => void;
}

/** An api process and where it answers. */
export interface ApiProcess extends AppProcess {
  /** http://host:port: /trpc, /readyz, the SPA when WEB_DIST is set. */
  url: string;
  /** http://host:port/metrics, or null when metrics are off. */
  metricsUrl: string | null;
}

export interface WorkerProcess extends AppProcess {
  /** http://host:port/metrics (and /healthz beside it), or null when metrics are off. */
  metricsUrl: string | null;
}

/** N api and M worker processes sharing one Postgres and one Redis. */
export interface Stack {
  readonly apis: readonly ApiProcess[];
  readonly workers: readonly WorkerProcess[];
  /** Starts one more api (not waited for: see waitReady). */
  addApi(): Promise<ApiProcess>;
  /** Starts one more worker (not waited for: see waitReady). */
  addWorker(): Promise<WorkerProcess>;
  /**
   * Resolves once every api answers /readyz, every worker with metrics answers /healthz (its
   * cold start is over) and, with an api, votes are accepted. Rejects if a process exits first.
   */
  waitReady(signal?: AbortSignal): Promise<void>;
  /** Stops the apis (they stop taking requests), then the workers (they finish their jobs). */
  stop(): Promise<void>;
}

/**
 * Starts `workers` worker and `apis` api processes and waits until they are healthy (see
 * Stack.waitReady). On failure or abort, stops what it started before rejecting.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const stack = createStack(opts);
  try {
    for (let i = 0; i < opts.workers; i++) await stack.addWorker();
    for (let i = 0; i < opts.apis; i++) await stack.addApi();
    await stack.waitReady(opts.signal);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

/** A stack with no process yet: add them, then wait for them (startStack does both). */
export function createStack(opts: StackOptions): Stack {
  const mode = opts.mode ?? 'production';
  const host = opts.host ?? '127.0.0.1';
  const metricsHost = opts.metricsHost ?? '127.0.0.1';
  const apis: ApiProcess[] = [];
  const workers: WorkerProcess[] = [];
  let stopping = false;

  const metricsPort = async (app: ServerApp, index: number): Promise<number> => {
    const metrics = opts.metrics ?? 'free';
    if (metrics === 'off') return -1;
    if (metrics === 'usual' && index === 0) return portOrFree(USUAL_METRICS_PORT[app], metricsHost);
    return freePort();
  };
  const spawn = async (app: ServerApp, name: string, env: Record<string, string>) => {
    // Production runs what ships: the bundle, rebuilt first if its sources changed.
    if (mode === 'production') await bundleIfStale([app], opts.log, opts.root);
    const proc = spawnApp({
      app,
      name,
      mode,
      env: { ...opts.env, ...env },
      nodeArgs: opts.nodeArgs?.(name) ?? [],
      stdout: opts.stdout ?? 'inherit',
      stderr: opts.stderr ?? 'inherit',
      root: opts.root,
    });
    void proc.exited.then((exit) => {
      if (!stopping) opts.onExit?.(proc, exit);
    });
    return proc;
  };

  return {
    apis,
    workers,
    async addApi() {
      const index = apis.length;
      const port = opts.apiPorts?.[index] ?? (await freePort());
      const mport = await metricsPort('api', index);
      const proc = await spawn('api', `api-${index + 1}`, {
        HOST: host,
        PORT: String(port),
        METRICS_HOST: metricsHost,
        METRICS_PORT: String(mport),
      });
      const api = { ...proc, url: httpUrl(host, port), metricsUrl: metricsUrl(metricsHost, mport) };
      apis.push(api);
      return api;
    },
    async addWorker() {
      const index = workers.length;
      const mport = await metricsPort('worker', index);
      const proc = await spawn('worker', `worker-${index + 1}`, {
        METRICS_HOST: metricsHost,
        METRICS_PORT: String(mport),
      });
      const worker = { ...proc, metricsUrl: metricsUrl(metricsHost, mport) };
      workers.push(worker);
      return worker;
    },
    async waitReady(signal = opts.signal) {
      const all: AppProcess[] = [...apis, ...workers];
      const exitedEarly = () => {
        const gone = all.find((p) => !p.running());
        return gone && new Error(`${gone.name} exited before it was ready`);
      };
      const wait = { timeoutMs: opts.readyTimeoutMs ?? 120_000, signal, stop: exitedEarly };
      for (const api of apis)
        await waitUntil(
          `${api.name} ${api.url}/readyz`,
          () => answers200(`${api.url}/readyz`),
          wait,
        );
      for (const worker of workers) {
        if (!worker.metricsUrl) continue;
        const healthz = worker.metricsUrl.replace(/\/metrics$/, '/healthz');
        await waitUntil(`${worker.name} ${healthz}`, () => answers200(healthz), wait);
      }
      const first = apis[0];
      if (first) await waitUntil(`votes at ${first.url}`, () => acceptsVotes(first.url), wait);
    },
    async stop() {
      stopping = true;
      await Promise.all(apis.map((p) => p.stop()));
      await Promise.all(workers.map((p) => p.stop()));
    },
  };
}

function httpUrl(host: string, port: number): string {
  // A wildcard address is reachable on loopback; IPv6 literals need brackets in a URL.
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

function metricsUrl(host: string, port: number): string | null {
  return port < 0 ? null : `${httpUrl(host, port)}/metrics`;
}
