import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { isPortFree } from '@llmpt/devstack';

import type { Endpoints } from './endpoints.ts';
import { PORT_SPAN, type Ports, type Topology, namedPorts, pathsOf } from './layout.ts';

/**
 * `state.json` in a cluster's data directory, written once the cluster is up and removed when it
 * has stopped: what `down` and `status` (other processes) know of it.
 */
export interface ClusterState extends Topology {
  /** The process that runs the cluster (`up` in the foreground, the detached supervisor, or a
   * program that called startCluster): `down` signals it. */
  supervisorPid: number;
  dataDir: string;
  startedAt: string;
  endpoints: Endpoints;
  /** Every part's pid (null: not running when last written); empty while it starts. */
  pids: Record<string, number | null>;
  /** False while it starts. */
  ready: boolean;
}

export async function writeState(state: ClusterState): Promise<void> {
  const file = pathsOf(state.dataDir).state;
  // Atomic: a reader never sees half a file.
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

export async function readState(dataDir: string): Promise<ClusterState | null> {
  const file = pathsOf(dataDir).state;
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ClusterState;
  } catch {
    return null;
  }
}

export async function removeState(dataDir: string): Promise<void> {
  await rm(pathsOf(dataDir).state, { force: true });
}

/** Whether a process with this pid runs (a zombie, exited but not reaped, counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // Not Linux, or gone in between: signal 0 is all we know.
    return true;
  }
  const end = stat.lastIndexOf(')');
  return stat.slice(end + 2, end + 3) !== 'Z';
}

/** The clusters under `root` whose supervisor still runs. */
export async function runningClusters(root: string): Promise<ClusterState[]> {
  if (!existsSync(root)) return [];
  const found: ClusterState[] = [];
  for (const entry of readdirSync(root)) {
    const state = await readState(path.join(root, entry));
    if (state && isAlive(state.supervisorPid)) found.push(state);
  }
  return found;
}

/** The cluster's start is refused: a port taken, another cluster in the way. Exit 1. */
export class ClusterError extends Error {
  override name = 'ClusterError';
}

/**
 * Refuses to start when another running cluster (of this data root) overlaps the port range, or
 * when any port this one needs is taken, naming it.
 */
export async function assertCanStart(root: string, t: Topology, ports: Ports): Promise<void> {
  for (const other of await runningClusters(root)) {
    if (other.basePort === t.basePort)
      throw new ClusterError(
        `a cluster already runs on base port ${t.basePort} (pid ${other.supervisorPid}): \`npm run cluster -- down --base-port ${t.basePort}\` first`,
      );
    if (Math.abs(other.basePort - t.basePort) < PORT_SPAN)
      throw new ClusterError(
        `the cluster on base port ${other.basePort} uses ports ${other.basePort}–${other.basePort + PORT_SPAN - 1}: pick a base port at least ${PORT_SPAN} away`,
      );
  }
  for (const [port, what] of namedPorts(ports)) {
    if (!(await isPortFree(port)))
      throw new ClusterError(
        `port ${port} (${what}) is taken: stop what listens there, or pick another --base-port`,
      );
  }
}
