import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/**
 * What the machine did to a scenario besides its own work: CPU time the hypervisor gave to
 * others (steal, from /proc/stat) and how far the system clock moved against the monotonic one
 * (a VM paused and resumed). Read before and after; {@link disturbanceSince} gives the change.
 */
export interface Disturbance {
  stealTicks: number;
  clockOffsetMs: number;
}

export function disturbance(): Disturbance {
  let stealTicks = NaN;
  try {
    // cpu  user nice system idle iowait irq softirq steal …
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
    stealTicks = Number(cpu[8]);
  } catch {
    // Not Linux: no steal figure.
  }
  return { stealTicks, clockOffsetMs: Date.now() - performance.now() };
}

/** Seconds of CPU stolen over all cores, and the clock's move in ms, since `before`. */
export function disturbanceSince(before: Disturbance): { stealSec: number; clockMovedMs: number } {
  const now = disturbance();
  return {
    // USER_HZ is 100 on Linux.
    stealSec: Math.round(((now.stealTicks - before.stealTicks) / 100) * 10) / 10,
    clockMovedMs: Math.round(now.clockOffsetMs - before.clockOffsetMs),
  };
}
