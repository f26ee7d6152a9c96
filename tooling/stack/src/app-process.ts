import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';

import { Tier, killOnExit } from '@llmpt/devstack';

import { type ServerApp, appPaths } from './bundle-check.js';
import { repoRoot } from './bundle.ts';

/**
 * How api and worker processes run.
 * - `production`: the bundle (apps/<app>/dist/index.js, see bundle.ts), NODE_ENV=production.
 * - `development`: the TypeScript source through tsx, NODE_ENV=development.
 * - `watch`: as development, restarted by `tsx watch` when a source file changes.
 */
export type RunMode = 'production' | 'development' | 'watch';

/** Where a child's stdout or stderr goes: as named, or an open file descriptor (a log file). */
export type Output = 'inherit' | 'ignore' | 'pipe' | number;

export interface AppSpec {
  app: ServerApp;
  /** Shown in messages, e.g. `api-1`. */
  name: string;
  mode: RunMode;
  /**
   * Added to this process's environment (DATABASE_URL, PORT, METRICS_PORT, …); an undefined
   * value removes one of ours (e.g. a REDIS_URL the caller's shell has).
   */
  env: Record<string, string | undefined>;
  /** Extra node flags, e.g. `--cpu-prof` (not in watch mode). */
  nodeArgs?: string[];
  stdout?: Output;
  stderr?: Output;
  /** SIGTERM to SIGKILL when stopped, or when the watchdog stops it after we died (default 20 s). */
  graceMs?: number;
  root?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One api or worker process. */
export interface AppProcess {
  readonly app: ServerApp;
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves once the process has exited (never rejects; a failed spawn counts as exit 127). */
  readonly exited: Promise<Exit>;
  /** Whether it has not exited yet. */
  running(): boolean;
  /** SIGTERM (or `signal`), SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<void>;
}

const DEFAULT_GRACE_MS = 20_000;

/**
 * Starts one api or worker process. It gets an IPC channel, which it takes as its lifeline (the
 * apps shut down when it closes: this process died), and it is registered with devstack's
 * watchdog, which stops it if we die without stopping it (even by SIGKILL).
 */
export function spawnApp(spec: AppSpec): AppProcess {
  const root = spec.root ?? repoRoot;
  const paths = appPaths(root, spec.app);
  const nodeArgs = spec.nodeArgs ?? [];
  const args =
    spec.mode === 'production'
      ? [...nodeArgs, '--enable-source-maps', paths.bundle]
      : spec.mode === 'development'
        ? [...nodeArgs, '--import', 'tsx', paths.entry]
        : [tsxCli(), 'watch', '--clear-screen=false', paths.entry];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: spec.mode === 'production' ? 'production' : 'development',
      ...spec.env,
    },
    stdio: ['ignore', spec.stdout ?? 'inherit', spec.stderr ?? 'inherit', 'ipc'],
  });
  const graceMs = spec.graceMs ?? DEFAULT_GRACE_MS;
  killOnExit(child, { tier: Tier.app, graceMs });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A failed spawn emits 'error' and never 'exit'.
    child.once('error', () => resolve({ code: 127, signal: null }));
  });
  // Our end of the IPC channel must not keep this process alive; nothing is sent on it.
  child.channel?.unref();
  let done = false;
  void exited.then(() => (done = true));

  return {
    app: spec.app,
    name: spec.name,
    pid: child.pid ?? -1,
    child,
    exited,
    running: () => !done,
    async stop(grace = graceMs, signal: NodeJS.Signals = 'SIGTERM') {
      if (done) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), grace);
      await exited;
      clearTimeout(timer);
    },
  };
}

function tsxCli(): string {
  return createRequire(import.meta.url).resolve('tsx/cli');
}
