import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';

import { type PosixIds, Tier, killOnExit } from '@llmpt/devstack';
import { type Exit, waitUntil } from '@llmpt/stack';

/** How to run one server of the cluster (Postgres, PgBouncer, Redis, a Sentinel, nginx). */
export interface ServerSpec {
  /** Part name, e.g. `redis-1`, `postgres-primary`. */
  name: string;
  command: string;
  args: string[];
  /** As root, Postgres and PgBouncer run as the `postgres` user (both refuse root). */
  runAs?: PosixIds | undefined;
  /** Added to the inherited environment (e.g. an exporter's DSN, kept off the command line). */
  env?: Record<string, string>;
  /** stdout and stderr are appended here. */
  logFile: string;
  /** Its clean stop (default SIGTERM; Postgres SIGINT, its fast shutdown; nginx SIGQUIT). */
  stopSignal?: NodeJS.Signals;
  /** From the stop signal to SIGKILL (default 30 s). */
  graceMs?: number;
  /** devstack's watchdog stops higher tiers first (default Tier.server). */
  tier?: number;
  /** Whether it serves yet; polled after the spawn (a throw counts as no). */
  ready: () => Promise<boolean>;
  /** Default 60 s. */
  readyTimeoutMs?: number;
}

/** A server of the cluster that can be started, signalled, stopped and started again. */
export interface ServerPart {
  readonly name: string;
  /** The running process's pid, or null. */
  readonly pid: number | null;
  running(): boolean;
  /** Resolves once the current process has exited. */
  readonly exited: Promise<Exit>;
  /** Hears an exit that stop() did not ask for (a crash, or a kill through the cluster). */
  onUnexpectedExit?: (name: string, exit: Exit) => void;
  /** Starts it and resolves once it serves; on failure it is stopped again and this rejects. */
  start(signal?: AbortSignal): Promise<void>;
  /** Sends `signal` to the running process; false when none runs. */
  kill(signal: NodeJS.Signals): boolean;
  /** Its clean stop, SIGKILL after a grace; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * One server process, which can be stopped, signalled and started again (the cluster's parts).
 * Each runs in its own process group, so a Ctrl-C in the terminal does not reach it: the cluster
 * stops its servers in order (edge first, data last). devstack's watchdog stops it if we die.
 */
export class ServerProcess implements ServerPart {
  private child: ChildProcess | null = null;
  private exit: Promise<Exit> = Promise.resolve({ code: null, signal: null });
  private done = true;
  private expected = false;
  /** Hears an exit that stop() did not ask for (a crash, or a kill through the cluster). */
  onUnexpectedExit?: (name: string, exit: Exit) => void;

  constructor(readonly spec: ServerSpec) {}

  get name(): string {
    return this.spec.name;
  }

  /** The running process's pid, or null. */
  get pid(): number | null {
    return this.done ? null : (this.child?.pid ?? null);
  }

  running(): boolean {
    return !this.done;
  }

  /** Resolves once the current process has exited. */
  get exited(): Promise<Exit> {
    return this.exit;
  }

  /** Spawns it and resolves once `ready` says so; on failure stops it and rejects with its log. */
  async start(signal?: AbortSignal): Promise<void> {
    if (!this.done) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    const { spec } = this;
    const logStart = sizeOf(spec.logFile);
    const fd = openSync(spec.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, {
        stdio: ['ignore', fd, fd],
        detached: true,
        ...(spec.env ? { env: { ...process.env, ...spec.env } } : {}),
        ...(spec.runAs ?? {}),
      });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.done = false;
    this.expected = false;
    this.exit = new Promise<Exit>((resolve) => {
      child.once('exit', (code, sig) => resolve({ code, signal: sig }));
      // A failed spawn emits 'error' and never 'exit'.
      child.once('error', () => resolve({ code: 127, signal: null }));
    });
    void this.exit.then((exit) => {
      this.done = true;
      if (!this.expected) this.onUnexpectedExit?.(this.name, exit);
    });
    killOnExit(child, {
      signal: spec.stopSignal ?? 'SIGTERM',
      tier: spec.tier ?? Tier.server,
      graceMs: spec.graceMs ?? 30_000,
    });
    try {
      await waitUntil(`${this.name} (${spec.logFile})`, spec.ready, {
        timeoutMs: spec.readyTimeoutMs ?? 60_000,
        signal,
        stop: () => (this.done ? new Error(`${this.name} exited at start`) : undefined),
      });
    } catch (err) {
      this.expected = true;
      await this.stop();
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`${this.name} did not start: ${why}\n${tail(spec.logFile, logStart)}`, {
        cause: err,
      });
    }
  }

  /** Sends `signal` to the running process; false when none runs. */
  kill(signal: NodeJS.Signals): boolean {
    if (this.done || !this.child) return false;
    return this.child.kill(signal);
  }

  /** Its clean stop, SIGKILL after the grace; resolves once it has exited. */
  async stop(): Promise<void> {
    if (this.done || !this.child) return;
    this.expected = true;
    const child = this.child;
    child.kill(this.spec.stopSignal ?? 'SIGTERM');
    // A stopped (SIGSTOP) process must get going again to act on the signal.
    child.kill('SIGCONT');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.spec.graceMs ?? 30_000);
    await this.exit;
    clearTimeout(timer);
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** What the log file got since `from`, at most the last 3,000 characters. */
function tail(file: string, from: number): string {
  try {
    const text = readFileSync(file).subarray(from).toString('utf8');
    return text.length > 3000 ? `…${text.slice(-3000)}` : text;
  } catch {
    return '';
  }
}
