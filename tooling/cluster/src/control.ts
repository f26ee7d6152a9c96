import type { Exit, Stack } from '@llmpt/stack';

import type { Endpoints } from './endpoints.ts';
import { type Health, checkHealth, majorityPrimary } from './health.ts';
import type { ClusterPaths, Ports, Topology } from './layout.ts';
import type { ClusterSecrets } from './secrets.ts';
import type { ServerPart } from './server-process.ts';
import { writeState } from './state.ts';

/**
 * A part: `nginx`, `api-<i>`, `worker-<i>`, `pgbouncer`, `postgres-primary`, `postgres-replica`,
 * `redis-1` / `redis-2` (the nodes, created as primary and replica), `sentinel-<i>`; or
 * `redis-primary` / `redis-replica`: whichever node has that role now (asked of the Sentinels).
 */
export type Part = string;

/** A running cluster: its addresses, and control over each part. */
export interface Cluster {
  readonly topology: Topology;
  readonly ports: Ports;
  readonly endpoints: Endpoints;
  readonly paths: ClusterPaths;
  /** Every part's name (the role aliases aside), in start order. */
  parts(): string[];
  /** The pid of a part, or null when it is not running. */
  pid(part: Part): Promise<number | null>;
  /** Every part's pid. */
  pids(): Record<string, number | null>;
  /**
   * Sends `signal` (default SIGKILL) to a part. Resolves at once with the part it resolved to
   * (`redis-primary` → `redis-2` after a failover) and a promise of its exit; SIGSTOP/SIGCONT
   * work too (a stalled server). Rejects when the part is not running.
   */
  kill(
    part: Part,
    signal?: NodeJS.Signals,
  ): Promise<{ part: string; pid: number; exited: Promise<Exit> }>;
  /** Stops a part if it runs, starts it again as before, and resolves once it is healthy. */
  restart(part: Part): Promise<void>;
  /** The Redis primary's host:port, as the majority of the Sentinels names it. */
  redisPrimary(): Promise<string>;
  /** Every part's health (what `status` prints). */
  health(): Promise<Health>;
  /** Stops everything, edge first and data last; resolves once every process has exited. */
  stop(): Promise<void>;
}

/**
 * The handle of a started cluster (see startCluster): resolves role names through the
 * Sentinels, signals and restarts parts, and keeps `state.json` up to date with their pids.
 */
export async function controlCluster(c: {
  topology: Topology;
  ports: Ports;
  endpoints: Endpoints;
  paths: ClusterPaths;
  secrets: ClusterSecrets;
  /** The servers by part name. */
  servers: ReadonlyMap<string, ServerPart>;
  /** The api and worker processes. */
  stack: Stack;
  stop: () => Promise<void>;
}): Promise<Cluster> {
  const { topology, ports, endpoints, paths, secrets, servers, stack: apps } = c;
  const pids = (): Record<string, number | null> => {
    const all: Record<string, number | null> = {};
    for (const [name, s] of servers) all[name] = s.pid;
    for (const p of [...apps.apis, ...apps.workers]) all[p.name] = p.running() ? p.pid : null;
    return all;
  };
  const startedAt = new Date().toISOString();
  const saveState = () =>
    writeState({
      ...topology,
      supervisorPid: process.pid,
      dataDir: paths.dataDir,
      startedAt,
      endpoints,
      pids: pids(),
      ready: true,
    });
  await saveState();

  const redisPrimary = () => majorityPrimary(ports.sentinels);
  /** A role alias to the node that has the role now. */
  const resolve = async (part: Part): Promise<string> => {
    if (part !== 'redis-primary' && part !== 'redis-replica') return part;
    const primaryPort = Number((await redisPrimary()).split(':')[1]);
    const index = ports.redis.indexOf(primaryPort);
    if (index < 0) throw new Error(`the Sentinels name a primary that is not ours: ${primaryPort}`);
    return `redis-${(part === 'redis-primary' ? index : 1 - index) + 1}`;
  };
  const appOf = (name: string) => [...apps.apis, ...apps.workers].find((p) => p.name === name);

  return {
    topology,
    ports,
    endpoints,
    paths,
    parts: () => [
      ...servers.keys(),
      ...apps.workers.map((w) => w.name),
      ...apps.apis.map((a) => a.name),
    ],
    pids,
    async pid(part) {
      return pids()[await resolve(part)] ?? null;
    },
    async kill(part, signal = 'SIGKILL') {
      const name = await resolve(part);
      const server = servers.get(name);
      const app = appOf(name);
      if (server?.running()) {
        const pid = server.pid!;
        server.kill(signal);
        return { part: name, pid, exited: server.exited };
      }
      if (app?.running()) {
        app.child.kill(signal);
        return { part: name, pid: app.pid, exited: app.exited };
      }
      if (!server && !app) throw new Error(`no part named ${part}`);
      throw new Error(`${name} is not running`);
    },
    async restart(part) {
      const name = await resolve(part);
      const server = servers.get(name);
      if (server) {
        await server.stop();
        await server.start();
      } else if (appOf(name)) {
        await apps.restart(name);
      } else {
        throw new Error(`no part named ${part}`);
      }
      await saveState();
    },
    redisPrimary,
    health: () => checkHealth(endpoints, ports, secrets),
    stop: c.stop,
  };
}
