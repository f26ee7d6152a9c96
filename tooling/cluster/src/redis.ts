import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { Tier } from '@llmpt/devstack';

import { MASTER_NAME, type Ports } from './layout.ts';
import { pairs, redisCall, redisInfo } from './probes.ts';
import { ServerProcess } from './server-process.ts';

/** Sentinels that must agree a primary is down before one of them fails over. */
export const QUORUM = 2;
export const DOWN_AFTER_MS = 2_000;
export const FAILOVER_TIMEOUT_MS = 10_000;

/**
 * Writes each node's and each Sentinel's configuration file, once: afterwards they belong to
 * the servers. A failover rewrites them (CONFIG REWRITE: which node replicates which; the
 * Sentinels' view of the primary, its replicas and each other), so a restarted cluster comes
 * back with the roles it had, not the ones it was created with.
 */
export async function writeRedisConfigs(dir: string, ports: Ports): Promise<void> {
  const [first, second] = ports.redis;
  for (const [i, port] of ports.redis.entries()) {
    const nodeDir = path.join(dir, `redis-${i + 1}`);
    await writeOnce(nodeDir, 'redis.conf', [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${nodeDir}`,
      'daemonize no',
      // stdout, which is the node's log file.
      'logfile ""',
      // Every acknowledged vote is in the AOF (fsync every second), and also on the replica
      // before the api answers (WAIT 1): votes survive the loss of either node.
      'appendonly yes',
      'appendfsync everysec',
      // A full Redis must refuse writes loudly, never drop ballots or outbox entries; and it
      // must be full before the host is (with maxmemory 0 the kernel's OOM killer decides).
      // RedisMemoryHigh warns at 80 % of it.
      'maxmemory 2gb',
      'maxmemory-policy noeviction',
      ...(port === second ? [`replicaof 127.0.0.1 ${first}`, 'replica-read-only yes'] : []),
    ]);
  }
  for (const [i, port] of ports.sentinels.entries()) {
    const sentinelDir = path.join(dir, `sentinel-${i + 1}`);
    await writeOnce(sentinelDir, 'sentinel.conf', [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${sentinelDir}`,
      'daemonize no',
      'logfile ""',
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${first} ${QUORUM}`,
      `sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}`,
      `sentinel failover-timeout ${MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
      `sentinel parallel-syncs ${MASTER_NAME} 1`,
    ]);
  }
}

async function writeOnce(dir: string, name: string, lines: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  if (existsSync(file)) return;
  const header =
    '# Written once by @llmpt/cluster; Redis and Sentinel rewrite it (CONFIG REWRITE).';
  await writeFile(file, `${[header, ...lines].join('\n')}\n`);
}

/** Redis node i (0: created as the primary, 1: as its replica). */
export function redisNode(opts: {
  index: number;
  binary: string;
  dir: string;
  port: number;
  logFile: string;
}): ServerProcess {
  const server: ServerProcess = new ServerProcess({
    name: `redis-${opts.index + 1}`,
    command: opts.binary,
    args: [path.join(opts.dir, `redis-${opts.index + 1}`, 'redis.conf')],
    logFile: opts.logFile,
    // SIGTERM: Redis fsyncs the AOF before it exits.
    stopSignal: 'SIGTERM',
    graceMs: 30_000,
    // Ready once it answers, and it is our process that does (not another server on the port).
    ready: async () => {
      const info = await redisInfo(opts.port, 'server');
      return Number(info.get('process_id')) === server.pid && !info.has('loading');
    },
  });
  return server;
}

/** Sentinel i. */
export function sentinel(opts: {
  index: number;
  binary: string;
  dir: string;
  port: number;
  logFile: string;
}): ServerProcess {
  const server: ServerProcess = new ServerProcess({
    name: `sentinel-${opts.index + 1}`,
    command: opts.binary,
    args: [path.join(opts.dir, `sentinel-${opts.index + 1}`, 'sentinel.conf')],
    logFile: opts.logFile,
    stopSignal: 'SIGTERM',
    graceMs: 10_000,
    // Stopped with the apps, before the Redis nodes: a Sentinel must not see the primary stop
    // and fail over while the cluster goes down.
    tier: Tier.app,
    ready: async () => {
      const info = await redisInfo(opts.port, 'server');
      return Number(info.get('process_id')) === server.pid;
    },
  });
  return server;
}

/** The primary's host:port as the Sentinel at `port` knows it, or null. */
export async function primaryFromSentinel(port: number): Promise<string | null> {
  const reply = await redisCall(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME);
  if (!Array.isArray(reply) || reply.length !== 2) return null;
  return `${String(reply[0])}:${String(reply[1])}`;
}

/** What one Sentinel says about the primary: its address, and whom it sees besides. */
export async function sentinelView(port: number) {
  const m = pairs(await redisCall(port, 'SENTINEL', 'MASTER', MASTER_NAME));
  return {
    primary: `${m.get('ip')}:${m.get('port')}`,
    flags: m.get('flags') ?? '',
    replicas: Number(m.get('num-slaves') ?? 0),
    otherSentinels: Number(m.get('num-other-sentinels') ?? 0),
  };
}

/**
 * Whether the Redis side is whole: every Sentinel names the same primary, sees the replica and
 * the two other Sentinels, and that primary has the replica attached and in sync.
 */
export async function redisSettled(ports: Ports): Promise<boolean> {
  const views = await Promise.all(ports.sentinels.map(sentinelView));
  const primary = views[0]?.primary;
  const agreed = views.every(
    (v) =>
      v.primary === primary &&
      v.flags === 'master' &&
      v.replicas >= 1 &&
      v.otherSentinels === ports.sentinels.length - 1,
  );
  if (!agreed || !primary) return false;
  const info = await redisInfo(Number(primary.split(':')[1]), 'replication');
  return (
    info.get('role') === 'master' &&
    Number(info.get('connected_slaves')) >= 1 &&
    /state=online/.test(info.get('slave0') ?? '')
  );
}
