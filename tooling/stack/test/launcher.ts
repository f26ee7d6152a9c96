import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { isPortFree } from '@llmpt/devstack';

import { repoRoot } from '../src/index.ts';

/** `npm start`, run as a user runs it, with its output and every process of its tree. */
export interface Launch {
  /** The npm process: what a user's Ctrl-C or `kill` reaches. */
  npm: ChildProcess;
  /** Every process seen below npm while it ran (launcher, api, worker, servers, watchdog). */
  tree: Set<number>;
  output(): string;
  /** Resolves with the first output line matching `pattern`; rejects if npm exits first. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves once npm has exited. */
  exited: Promise<void>;
  /** Pids of the running processes of the tree whose command line matches `pattern`. */
  find(pattern: RegExp): number[];
}

/**
 * Starts `npm start` in the repository with `env` on top of ours. The launcher must use its own
 * embedded Postgres and redis-server (DATABASE_URL / REDIS_URL empty, so a developer's .env
 * cannot point it elsewhere either).
 */
export function launch(env: Record<string, string>): Launch {
  const npm = spawn('npm', ['start', '--silent'], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: string) => {
    text += chunk;
    for (const w of waiters) w();
  };
  npm.stdout.setEncoding('utf8').on('data', onData);
  npm.stderr.setEncoding('utf8').on('data', onData);
  const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of waiters) w();
  });

  const tree = new Set<number>();
  const pid = npm.pid!;
  void (async () => {
    while (!done) {
      for (const p of descendants(pid)) tree.add(p);
      await sleep(50);
    }
  })();

  return {
    npm,
    tree,
    output: () => text,
    exited,
    find: (pattern) => [...tree].filter((p) => alive(p) && pattern.test(readCmdline(p))),
    line: (pattern, timeoutMs = 120_000) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`no ${pattern} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = () => {
          const found = text.split('\n').find((l) => pattern.test(l));
          if (found !== undefined) finish(null, found);
          else if (done) finish(new Error(`npm start exited before printing ${pattern}:\n${text}`));
        };
        const finish = (err: Error | null, line = '') => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve(line);
        };
        waiters.add(check);
        check();
      }),
  };
}

/** Processes whose parent chain leads to `root` (from /proc). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const ppid = ppidOf(pid);
    if (ppid !== undefined) parentOf.set(pid, ppid);
  }
  const found: number[] = [];
  for (const pid of parentOf.keys()) {
    for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p)) {
      if (p === root) {
        found.push(pid);
        break;
      }
    }
  }
  return found;
}

function statOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
}

function ppidOf(pid: number): number | undefined {
  const stat = statOf(pid);
  // "pid (comm) state ppid …": comm may contain spaces and parentheses.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields?.[1] === undefined ? undefined : Number(fields[1]);
}

/** Running, not a zombie waiting to be reaped by a (container) init that never does. */
export function alive(pid: number): boolean {
  const stat = statOf(pid);
  return stat !== undefined && stat[stat.lastIndexOf(')') + 2] !== 'Z';
}

/** Waits up to `ms` for every pid to be gone; returns the ones still running, with their names. */
export async function survivors(pids: Iterable<number>, ms = 30_000): Promise<string[]> {
  const deadline = Date.now() + ms;
  let left = [...pids].filter(alive);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = left.filter(alive);
  }
  return left.map((pid) => `${pid} ${readCmdline(pid)}`);
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '?';
  }
}

/** The ports of the http://, postgres:// and redis:// URLs in `text`. */
export function portsIn(text: string): number[] {
  return [...text.matchAll(/(?:https?|postgres|redis):\/\/\S*?:(\d+)/g)].map((m) => Number(m[1]));
}

/** The ports of `ports` something still listens on (127.0.0.1). */
export async function takenPorts(ports: number[]): Promise<number[]> {
  const taken: number[] = [];
  for (const port of ports) if (!(await isPortFree(port))) taken.push(port);
  return taken;
}
