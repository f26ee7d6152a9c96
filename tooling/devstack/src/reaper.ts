import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Stop order when the parent dies: higher tiers first, each waited for, then the next. */
export const Tier = {
  /** Postgres, Redis, nginx: what the apps use. */
  server: 1,
  /** api and worker processes: stopped first, so they can finish with their servers up. */
  app: 2,
} as const;

/** Options of {@link killOnExit}. */
export interface KillOnExitOptions {
  /** What stops the child cleanly (default SIGTERM; Postgres: SIGINT, its fast shutdown). */
  signal?: NodeJS.Signals;
  /** {@link Tier}; default `Tier.server`. */
  tier?: number;
  /** After this long the child gets SIGKILL (default 10 s). */
  graceMs?: number;
}

const WATCHDOG = fileURLToPath(new URL('./watchdog.js', import.meta.url));

let watchdog: { write(line: string): void } | undefined;
const fallback = new Map<ChildProcess, NodeJS.Signals>();

/**
 * Makes sure `child` does not outlive this process, however it ends: even killed by SIGKILL, or
 * exiting without stopping its children. A watchdog process (one per process, started on first
 * use in its own session) holds a pipe from us; when the pipe closes it stops every child still
 * registered, tier by tier, with its signal, then SIGKILL after its grace. A child that exits
 * unregisters itself. Returns an unregister function.
 */
export function killOnExit(child: ChildProcess, opts: KillOnExitOptions = {}): () => void {
  const pid = child.pid;
  if (pid === undefined) return () => undefined; // never started ('error' follows)
  const signal = opts.signal ?? 'SIGTERM';
  const dog = ensureWatchdog();
  let registered = true;
  const unregister = () => {
    if (!registered) return;
    registered = false;
    dog?.write(`-${pid}\n`);
    fallback.delete(child);
  };
  if (dog) dog.write(`+${pid} ${signal} ${opts.tier ?? Tier.server} ${opts.graceMs ?? 10_000}\n`);
  else fallback.set(child, signal);
  child.once('exit', unregister);
  return unregister;
}

function ensureWatchdog(): typeof watchdog {
  if (watchdog) return watchdog;
  try {
    const dog = spawn(process.execPath, [WATCHDOG], {
      // Its own session: the terminal's Ctrl-C and signals to our process group miss it.
      detached: true,
      // stderr shared, so what it stops after we are gone is said where our output went.
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    const stdin = dog.stdin as Socket;
    // Neither the watchdog nor our end of its pipe may keep this process alive.
    dog.unref();
    stdin.unref();
    // EPIPE if it died: we lose the safety net, not the run.
    stdin.on('error', () => undefined);
    dog.once('error', () => {
      watchdog = undefined;
    });
    watchdog = { write: (line) => void stdin.write(line) };
  } catch {
    useExitHook();
  }
  return watchdog;
}

let hooked = false;

/** Without a watchdog: signal the children at least when this process exits normally. */
function useExitHook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const [each, signal] of fallback) each.kill(signal);
  });
}
