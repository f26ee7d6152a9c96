import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

const live = new Set<ChildProcess>();
let hooked = false;

/**
 * Kills `child` if this process exits first (a crash, Ctrl-C), so no server or load generator
 * outlives the run. Returns the child.
 */
export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!hooked) {
    hooked = true;
    process.on('exit', killTracked);
  }
  return child;
}

/** SIGKILL to every tracked child still running (an interrupted or crashing run). */
export function killTracked(): void {
  for (const c of live) c.kill('SIGKILL');
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** `node --import tsx <script>` from the repository root, tracked. */
export function spawnTs(
  repoRoot: string,
  script: string,
  env: Record<string, string>,
  stdout: 'pipe' | 'ignore' = 'pipe',
): ChildProcess {
  return track(
    spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', stdout, 'inherit'],
    }),
  );
}
