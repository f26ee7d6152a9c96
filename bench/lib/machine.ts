import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** The machine the figures were measured on. */
export function machineInfo(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} (${os.platform()}/${os.arch()})`,
    // Others may share the machine: a high load at start explains low figures.
    loadAvg1m: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

/** The commit measured, and whether the working tree differed from it. */
export function gitInfo(repoRoot: string): { commit: string | null; dirty: boolean | null } {
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  try {
    return {
      commit: git('rev-parse', 'HEAD').trim(),
      dirty: git('status', '--porcelain').trim() !== '',
    };
  } catch {
    return { commit: null, dirty: null };
  }
}
