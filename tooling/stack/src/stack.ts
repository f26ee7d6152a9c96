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
  /**
   * Environment of every process: DATABASE_URL, REDIS_URL, VOTER_COOKIE_SECRET, prefixes… An
   * undefined value removes a variable of ours from theirs.
   */
  env: Record<string, string | undefined>;
  /** Added for one kind of process on top of `env`, e.g. a pool size of the apis only. */
  appEnv?: Partial<Record<ServerApp, Record<string, string | undefined>>>;
  /** Default `production` (the bundles). */
  mode?: RunMode;
  /** Interface the apis listen on (HOST); default 127.0.0.1. */
  host?: string;
  /** Public port of api i; free ports for the others. */
  apiPorts?: number[];
  /** Default `free`. */
  metrics?: MetricsPorts;
  /** Metrics port of api i / worker i, before `metrics` (which then places the others). */
  apiMetricsPorts?: number[];
  workerMetricsPorts?: number[];
  /** Interface of the metrics listeners; default 127.0.0.1. */
  metricsHost?: string;
  /** Extra node flags per process name (`api-1`, `worker-2`), e.g. --cpu-prof. */
  nodeArgs?: (name: string) => string[];
  /** Where each process's output goes; a function gets the process name (`api-2`). */
  stdout?: Output | ((name: string) => Output);
  stderr?: Output | ((name: string) => Output);
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
  /**
   * Stops the process `name` (`api-2`, `worker-1`) if it still runs, starts it again with the
   * same ports and environment, and resolves once it is healthy. Its entry in `apis` or
   * `workers` is the new process.
   */
  restart(name: string, signal?: AbortSignal): Promise<AppProcess>;
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
  // What each process was started with, by name: restart() starts it the same way.
  const started = new Map<string, { app: ServerApp; env: Record<string, string> }>();
  // Processes stopped on purpose (restart): their exit is not news for onExit.
  const replaced = new Set<AppProcess>();
  let stopping = false;

  const metricsPort = async (app: ServerApp, index: number): Promise<number> => {
    const fixed = (app === 'api' ? opts.apiMetricsPorts : opts.workerMetricsPorts)?.[index];
    if (fixed !== undefined) return fixed;
    const metrics = opts.metrics ?? 'free';
    if (metrics === 'off') return -1;
    if (metrics === 'usual' && index === 0) return portOrFree(USUAL_METRICS_PORT[app], metricsHost);
    return freePort();
  };
  const output = (o: StackOptions['stdout'], name: string): Output =>
    typeof o === 'function' ? o(name) : (o ?? 'inherit');
  const spawn = async (app: ServerApp, name: string, env: Record<string, string>) => {
    started.set(name, { app, env });
    // Production runs what ships: the bundle, rebuilt first if its sources changed.
    if (mode === 'production') await bundleIfStale([app], opts.log, opts.root);
    const proc = spawnApp({
      app,
      name,
      mode,
      env: { ...opts.env, ...opts.appEnv?.[app], ...env },
      nodeArgs: opts.nodeArgs?.(name) ?? [],
      stdout: output(opts.stdout, name),
      stderr: output(opts.stderr, name),
      root: opts.root,
    });
    void proc.exited.then((exit) => {
      if (!stopping && !replaced.has(proc)) opts.onExit?.(proc, exit);
    });
    return proc;
  };
  const withUrls = (proc: AppProcess, env: Record<string, string>) => {
    const mport = Number(env.METRICS_PORT);
    return proc.app === 'api'
      ? {
          ...proc,
          url: httpUrl(host, Number(env.PORT)),
          metricsUrl: metricsUrl(metricsHost, mport),
        }
      : { ...proc, metricsUrl: metricsUrl(metricsHost, mport) };
  };
  const waitOne = async (proc: ApiProcess | WorkerProcess, wait: WaitOptions) => {
    if ('url' in proc) {
      await waitUntil(
        `${proc.name} ${proc.url}/readyz`,
        () => answers200(`${proc.url}/readyz`),
        wait,
      );
    } else if (proc.metricsUrl) {
      const healthz = proc.metricsUrl.replace(/\/metrics$/, '/healthz');
      await waitUntil(`${proc.name} ${healthz}`, () => answers200(healthz), wait);
    }
  };
  const waitOptions = (procs: AppProcess[], signal?: AbortSignal): WaitOptions => ({
    timeoutMs: opts.readyTimeoutMs ?? 120_000,
    signal,
    stop: () => {
      const gone = procs.find((p) => !p.running());
      return gone && new Error(`${gone.name} exited before it was ready`);
    },
  });

  return {
    apis,
    workers,
    async addApi() {
      const index = apis.length;
      const port = opts.apiPorts?.[index] ?? (await freePort());
      const env = {
        HOST: host,
        PORT: String(port),
        METRICS_HOST: metricsHost,
        METRICS_PORT: String(await metricsPort('api', index)),
      };
      const api = withUrls(await spawn('api', `api-${index + 1}`, env), env) as ApiProcess;
      apis.push(api);
      return api;
    },
    async addWorker() {
      const index = workers.length;
      const env = {
        METRICS_HOST: metricsHost,
        METRICS_PORT: String(await metricsPort('worker', index)),
      };
      const worker = withUrls(await spawn('worker', `worker-${index + 1}`, env), env);
      workers.push(worker);
      return worker;
    },
    async waitReady(signal = opts.signal) {
      const wait = waitOptions([...apis, ...workers], signal);
      for (const proc of [...apis, ...workers]) await waitOne(proc, wait);
      const first = apis[0];
      if (first) await waitUntil(`votes at ${first.url}`, () => acceptsVotes(first.url), wait);
    },
    async restart(name, signal = opts.signal) {
      const spec = started.get(name);
      if (!spec) throw new Error(`no process named ${name} in this stack`);
      if (stopping) throw new Error(`the stack is stopping: ${name} is not restarted`);
      const list: Array<ApiProcess | WorkerProcess> = spec.app === 'api' ? apis : workers;
      const index = list.findIndex((p) => p.name === name);
      const old = list[index]!;
      replaced.add(old);
      await old.stop();
      const proc = withUrls(await spawn(spec.app, name, spec.env), spec.env);
      list[index] = proc;
      await waitOne(proc, waitOptions([proc], signal));
      return proc;
    },
    async stop() {
      stopping = true;
      await Promise.all(apis.map((p) => p.stop()));
      await Promise.all(workers.map((p) => p.stop()));
    },
  };
}

type WaitOptions = NonNullable<Parameters<typeof waitUntil>[2]>;

function httpUrl(host: string, port: number): string {
  // A wildcard address is reachable on loopback; IPv6 literals need brackets in a URL.
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

function metricsUrl(host: string, port: number): string | null {
  return port < 0 ? null : `${httpUrl(host, port)}/metrics`;
}
