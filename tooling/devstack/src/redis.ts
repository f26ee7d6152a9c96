import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { Redis } from 'ioredis';

import { LogTail } from './log-tail.ts';
import { freePort } from './ports.ts';
import { killOnExit } from './reaper.ts';
import { SYSTEM_COMMANDS, findOrInstall } from './system-command.ts';
import type { LocalService } from './types.ts';

// Covers loading a large AOF on start; an empty server answers within ~50 ms.
const READY_TIMEOUT_MS = 30_000;
// SIGTERM makes Redis fsync the AOF (and write an RDB when save points are set) before exiting.
const STOP_KILL_MS = 30_000;

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Working directory of the server (AOF and RDB files); created when missing. */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /**
   * Durable append-only file (default true). `false` is for throwaway test servers: no AOF and
   * no RDB snapshots (`--save ""`).
   */
  appendOnly?: boolean;
}

/**
 * Starts a `redis-server` child process on 127.0.0.1 with `--dir dataDir` and
 * `--maxmemory-policy noeviction`, and resolves once it answers PING. redis-server is looked up
 * on PATH, /usr/bin, /usr/sbin and /usr/local/bin; when it is missing, it is installed with
 * apt-get if we are root on a Debian-like system, otherwise this throws with an instruction.
 */
export async function startRedisServer(opts: RedisServerOptions): Promise<LocalService> {
  const binary = await findOrInstall(SYSTEM_COMMANDS['redis-server']);
  const dataDir = path.resolve(opts.dataDir);
  const port = opts.port ?? (await freePort());
  const appendOnly = opts.appendOnly ?? true;
  await fs.mkdir(dataDir, { recursive: true });

  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir],
    ...['--appendonly', appendOnly ? 'yes' : 'no'],
    // Votes must never be silently dropped: a full Redis should fail writes loudly instead.
    ...['--maxmemory-policy', 'noeviction'],
    ...['--daemonize', 'no'],
    ...(appendOnly ? [] : ['--save', '']),
  ];
  const log = new LogTail();
  // Output is piped and drained for good: a full pipe would block the server.
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => log.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => log.push(chunk));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // A failed spawn (e.g. EACCES) emits 'error' and never 'exit'.
    child.once('error', (error) => {
      log.push(error.message);
      resolve();
    });
  });
  killOnExit(child, { graceMs: STOP_KILL_MS });

  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitUntilServing(port, child, exited);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`redis-server did not start on port ${port} (${why}):\n${log.toString()}`);
  }

  let stopping: Promise<void> | undefined;
  return { url, stop: () => (stopping ??= stopChild(child, exited)) };
}

async function waitUntilServing(
  port: number,
  child: ChildProcess,
  exited: Promise<void>,
): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (gone) throw new Error('it exited');
    if (Date.now() > deadline) throw new Error(`no PONG after ${READY_TIMEOUT_MS / 1000} s`);
    const pid = await pingServerPid(port);
    // Our own server might have failed to bind while another one answers on that port.
    if (pid !== undefined && pid === child.pid) return;
    if (pid !== undefined) throw new Error(`port ${port} is taken by another Redis (pid ${pid})`);
    await sleep(50);
  }
}

/** PINGs 127.0.0.1:port once; the pid of the Redis that answered PONG, if one did. */
async function pingServerPid(port: number): Promise<number | undefined> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // Rejects with LOADING while the AOF is read back.
    if ((await client.ping()) !== 'PONG') return undefined;
    const match = /^process_id:(\d+)/m.exec(await client.info('server'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  child.kill('SIGTERM');
  const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_KILL_MS);
  try {
    await exited;
  } finally {
    clearTimeout(escalate);
  }
}
