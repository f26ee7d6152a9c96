/**
 * Starts nginx with the rendered edge configuration: the one way tests, the cluster and the load
 * test run it (a deployment runs the rendered file under its own service manager).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { SYSTEM_COMMANDS, findOrInstall, killOnExit } from '@llmpt/devstack';

import { type NginxConfigOptions, renderNginxConfig } from './render.ts';

/** The configuration, without its prefix (the runner's own). */
export type EdgeConfig = Omit<NginxConfigOptions, 'prefix'> & { prefix?: string };

export interface StartNginxOptions {
  /** Folder of the rendered nginx.conf, pid file, error log, temp files and cache (created). */
  prefix: string;
  config: EdgeConfig;
  /** Default: Debian's nginx (NGINX_PATH for another one), installed first when root with apt. */
  nginxPath?: string;
  /** How long nginx may take to answer (default 20 s). */
  readyTimeoutMs?: number;
}

export interface RunningNginx {
  /** http://host:port of the plain listener. */
  url: string;
  /** https://host:port of the TLS listener, or null without `tls`. */
  httpsUrl: string | null;
  /** The master process. */
  pid: number;
  /**
   * Re-renders the configuration (the same, or `config` when given, e.g. another set of apis),
   * checks it (`nginx -t`: a bad one rejects and the running one stays), and reloads (SIGHUP);
   * resolves once new workers run it. Connections of the old workers end gracefully, within
   * `worker_shutdown_timeout`.
   */
  reload(config?: EdgeConfig): Promise<void>;
  /** Graceful stop (SIGQUIT: open requests finish), SIGKILL after 15 s; resolves once it exited. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 15_000;

/**
 * Renders the configuration into `prefix`, starts `nginx -p prefix -c prefix/nginx.conf` in the
 * foreground, and resolves once it answers HTTP. As root, nginx's workers run as an unprivileged
 * user: the prefix and the web root are made readable to them (nginx creates and hands over its
 * temp and cache folders itself). Registered with devstack's watchdog, so nginx does not outlive
 * this process, however it ends.
 * @see ./README.md
 */
export async function startNginx(opts: StartNginxOptions): Promise<RunningNginx> {
  const nginxPath = opts.nginxPath ?? (await findOrInstall(SYSTEM_COMMANDS.nginx));
  const prefix = path.resolve(opts.prefix);
  const conf = path.join(prefix, 'nginx.conf');
  const errorLog = path.join(prefix, 'error.log');
  await mkdir(path.join(prefix, 'tmp'), { recursive: true });
  if (process.getuid?.() === 0) {
    await chmod(prefix, 0o755);
    await chmod(path.resolve(opts.config.webRoot), 0o755);
  }
  let config = opts.config;
  // Written beside nginx.conf and checked (`nginx -t`) first: a refused configuration never
  // replaces the file the running nginx was started from.
  const render = async (c: EdgeConfig) => {
    const next = `${conf}.next`;
    await writeFile(next, renderNginxConfig({ ...c, prefix }));
    await check(nginxPath, ['-t', '-q', '-p', prefix, '-c', next, '-e', errorLog]);
    await rename(next, conf);
  };
  await render(config);

  const child = spawn(nginxPath, ['-p', prefix, '-c', conf, '-e', errorLog, '-g', 'daemon off;'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const unregister = killOnExit(child, { signal: 'SIGQUIT', graceMs: STOP_GRACE_MS });
  const exited = once(child, 'exit').then(() => undefined);
  const url = `http://${reachable(config.listen)}`;
  const httpsUrl = config.tls ? `https://${reachable(config.tls.listen)}` : null;
  try {
    await waitAnswering(child, url, errorLog, opts.readyTimeoutMs ?? 20_000);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }

  return {
    url,
    httpsUrl,
    pid: child.pid!,
    async reload(next) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error('nginx has exited');
      if (next && (next.listen !== config.listen || next.tls?.listen !== config.tls?.listen))
        throw new Error('nginx reload: the listeners cannot change (start another nginx)');
      await render(next ?? config);
      config = next ?? config;
      const before = await workersOf(child.pid!);
      child.kill('SIGHUP');
      // Done once new workers run and every old one has stopped accepting connections (it
      // renames itself "worker process is shutting down" as it closes its listeners); the old
      // ones may live on a little while their open connections finish.
      const applied = async () => {
        const now = await workersOf(child.pid!);
        const old = now.filter((w) => before.some((b) => b.pid === w.pid));
        return (
          now.some((w) => !old.includes(w) && !w.shuttingDown) && old.every((w) => w.shuttingDown)
        );
      };
      const deadline = Date.now() + 20_000;
      while (!(await applied())) {
        if (child.exitCode !== null) throw new Error('nginx exited while reloading');
        if (Date.now() > deadline) throw new Error(`nginx did not reload within 20 s: ${errorLog}`);
        await sleep(20);
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      unregister();
    },
  };
}

/** A URL host for a `listen` value: a bare port or a wildcard address means loopback. */
function reachable(listen: string): string {
  if (/^\d+$/.test(listen)) return `127.0.0.1:${listen}`;
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new Error(`nginx: cannot tell the port of listen "${listen}"`);
  const host = m[1]!;
  if (host === '*' || host === '0.0.0.0') return `127.0.0.1:${m[2]}`;
  if (host === '[::]') return `[::1]:${m[2]}`;
  return listen;
}

/** Resolves once nginx answers any HTTP request (its own 404 for /metrics: no upstream needed). */
async function waitAnswering(
  child: ChildProcess,
  url: string,
  errorLog: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = await readFile(errorLog, 'utf8').catch(() => '');
      throw new Error(
        `nginx exited (${child.signalCode ?? child.exitCode}) at start:\n${log.slice(-2000)}`,
      );
    }
    const answered = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(1_000) }).then(
      async (r) => (await r.body?.cancel(), true),
      () => false,
    );
    if (answered) return;
    if (Date.now() > deadline)
      throw new Error(`nginx did not answer at ${url} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Runs nginx for a check (`-t`), rejecting with its output when it fails. */
function check(nginxPath: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(nginxPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`nginx ${args.join(' ')}:\n${output.trim()}`)),
    );
  });
}

/** The worker processes of an nginx master (Linux: /proc), by the titles nginx gives them. */
async function workersOf(master: number): Promise<Array<{ pid: number; shuttingDown: boolean }>> {
  const text = await readFile(`/proc/${master}/task/${master}/children`, 'utf8').catch(() => '');
  const workers = await Promise.all(
    text
      .split(' ')
      .filter(Boolean)
      .map(async (p) => {
        const pid = Number(p);
        const title = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        return { pid, title };
      }),
  );
  return workers
    .filter((w) => w.title.includes('worker process'))
    .map((w) => ({ pid: w.pid, shuttingDown: w.title.includes('shutting down') }));
}
