/**
 * Small measurement helpers shared by the real-time scenarios (fanout, socketIoPeer, endToEnd):
 * one clock for every process, quantiles, and /proc readings of server processes.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let clockOffset = 0;

/**
 * Wall-clock milliseconds with sub-millisecond resolution: performance.now() plus an offset
 * calibrated against Date.now(). Every process of these scenarios (parent, client processes,
 * peer servers) uses this clock, so an arrival time in one process compares with a send time in
 * another (same machine, same clock). performance.timeOrigin alone is not good enough: it was
 * measured a few ms off Date.now() in busy processes here. The ranker's diff `at` is Date.now().
 */
export function wallNow(): number {
  const now = clockOffset + performance.now();
  // Date.now() stays within [now - 1, now] while the offset holds. Outside it, the system clock
  // moved (a VM paused and resumed: a --full fanout saw 8 s): take the offset again, so a time
  // taken here keeps comparing with Date.now() in another process, as the ranker's `at` is.
  const skew = Date.now() - now;
  if (skew > SKEW_SLACK_MS || skew < -1 - SKEW_SLACK_MS)
    return calibrateClock() + performance.now();
  return now;
}
const SKEW_SLACK_MS = 0.5;

/**
 * Offset of Date.now() over performance.now(), to a few µs: Date.now() is the floor of the true
 * time, so each (p1, Date.now(), p2) sample bounds the offset to [d - p2, d + 1 - p1); ~3 ms of
 * samples across millisecond edges narrow it. Runs at import, and again from {@link wallNow}
 * when the system clock moved.
 */
export function calibrateClock(): number {
  let lo = -Infinity;
  let hi = Infinity;
  const until = performance.now() + 3;
  while (performance.now() < until) {
    const p1 = performance.now();
    const d = Date.now();
    const p2 = performance.now();
    lo = Math.max(lo, d - p2);
    hi = Math.min(hi, d + 1 - p1);
  }
  clockOffset = lo <= hi ? (lo + hi) / 2 : lo;
  return clockOffset;
}

calibrateClock();

/**
 * `Date.now()` minus the calibrated clock, before {@link wallNow} would correct it: within
 * [-1, 0] ms unless the system clock moved since the last calibration.
 */
export const clockSkewMs = (): number => Date.now() - (clockOffset + performance.now());

/** Nearest-rank quantile of an ascending array (NaN when empty). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** p50 / p99 / max of finite values (non-finite ones are dropped). */
export function summarize(values: Iterable<number>): Summary {
  const v = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  return { count: v.length, p50: quantile(v, 0.5), p99: quantile(v, 0.99), max: v.at(-1) ?? NaN };
}

/** Rounds for the result table; NaN and infinities become null. */
export function fig(n: number, digits = 1): number | null {
  if (!Number.isFinite(n)) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** VmRSS and VmHWM (peak RSS) of a process in KiB, from /proc/<pid>/status; null once gone. */
export function procMemKB(pid: number): { rssKB: number; hwmKB: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKB: field('VmRSS'), hwmKB: field('VmHWM') };
  } catch {
    return null;
  }
}

/** Sum of VmRSS (KiB) over processes. */
export function rssKB(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (procMemKB(pid)?.rssKB ?? NaN), 0);
}

let clkTck: number | undefined;
function clockTicksPerSec(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat; null once gone. */
export function procCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state (field 3).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime (14), stime (15)
    return (ticks * 1000) / clockTicksPerSec();
  } catch {
    return null;
  }
}

/** Direct children of a process (e.g. node:cluster workers of an api started with WEB_CONCURRENCY). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // The process exited while we looked.
    }
  }
  return out;
}

/** CPU used by processes over a window: start() then stop() → per-pid % of one core. */
export class CpuWindow {
  private readonly start = new Map<number, number>();
  private startedAt = 0;

  constructor(private readonly pids: readonly number[]) {}

  begin(): void {
    this.startedAt = performance.now();
    for (const pid of this.pids) this.start.set(pid, procCpuMs(pid) ?? NaN);
  }

  /** % of one core per pid (100 = one core busy for the whole window). */
  end(): Map<number, number> {
    const wallMs = performance.now() - this.startedAt;
    const out = new Map<number, number>();
    for (const pid of this.pids) {
      const used = (procCpuMs(pid) ?? NaN) - (this.start.get(pid) ?? NaN);
      out.set(pid, (used / wallMs) * 100);
    }
    return out;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const liveChildren = new Set<ChildProcess>();
let exitHooked = false;
/** SIGKILLs `child` if this process exits first (crash, Ctrl-C): no client or server outlives a run. */
export function trackChild<T extends ChildProcess>(child: T): T {
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  return child;
}
