// @ts-check
/**
 * The watchdog of one devstack process (see reaper.ts): it learns on stdin which processes its
 * parent started (`+<pid> <signal> <tier> <graceMs>`, `-<pid>` once one is gone) and, when stdin
 * closes, which happens however the parent ended (even SIGKILL), stops the ones still running:
 * tier by tier, highest first (api and worker before the servers they use), each with its own
 * signal, then SIGKILL after its grace. Plain JavaScript, so it starts without a loader.
 */
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';

/** @typedef {{ signal: NodeJS.Signals, tier: number, graceMs: number }} Entry */
/** @type {Map<number, Entry>} */
const tracked = new Map();
let pending = '';
let reaping = false;

// It runs in its own session (spawned detached): a Ctrl-C, or a signal sent to the parent's
// process group, does not reach it, so it outlives the parent for as long as reaping takes.
// Our stderr is the parent's, whose reader may be gone with it: a failed write must not end us
// before we have stopped what we are here to stop.
process.stderr.on('error', () => undefined);

process.stdin.setEncoding('utf8');
process.stdin.on('data', (/** @type {string} */ chunk) => {
  pending += chunk;
  for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
    apply(pending.slice(0, nl));
    pending = pending.slice(nl + 1);
  }
});
process.stdin.on('end', () => void reap());
process.stdin.on('close', () => void reap());
process.stdin.on('error', () => void reap());

/** @param {string} line */
function apply(line) {
  const [op, ...rest] = line.trim().split(' ');
  const pid = Number(op?.slice(1));
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (op?.startsWith('-')) tracked.delete(pid);
  else if (op?.startsWith('+')) {
    const [signal = 'SIGTERM', tier = '1', graceMs = '10000'] = rest;
    tracked.set(pid, {
      signal: /** @type {NodeJS.Signals} */ (signal),
      tier: Number(tier),
      graceMs: Number(graceMs),
    });
  }
}

async function reap() {
  if (reaping) return;
  reaping = true;
  const tiers = [...new Set([...tracked.values()].map((e) => e.tier))].sort((a, b) => b - a);
  if (tiers.length > 0) {
    const names = [...tracked.keys()].join(', ');
    say(`parent gone, stopping what it left (${names})`);
  }
  for (const tier of tiers) {
    const group = [...tracked].filter(([, e]) => e.tier === tier);
    for (const [pid, e] of group) signal(pid, e.signal);
    const deadline = Date.now() + Math.max(...group.map(([, e]) => e.graceMs));
    while (group.some(([pid]) => alive(pid)) && Date.now() < deadline) await sleep(100);
    for (const [pid] of group) if (alive(pid)) signal(pid, 'SIGKILL');
  }
  process.exit(0);
}

/** @param {string} message */
function say(message) {
  try {
    process.stderr.write(`[devstack] watchdog: ${message}\n`);
  } catch {
    // Nobody to tell.
  }
}

/** @param {number} pid @param {NodeJS.Signals} name */
function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/**
 * Whether `pid` still runs. A zombie counts as gone: it has exited, and in a container whose
 * init does not reap orphans it would otherwise look alive until the grace ran out.
 * @param {number} pid
 */
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
