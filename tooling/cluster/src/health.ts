import type { Endpoints } from './endpoints.ts';
import type { Ports } from './layout.ts';
import { pgbouncerUrls } from './pgbouncer.ts';
import { postgresUrls, replicaLagSeconds, replicationState } from './postgres.ts';
import { httpStatus, pgQuery, redisCall, redisInfo } from './probes.ts';
import { primaryFromSentinel } from './redis.ts';
import type { ClusterSecrets } from './secrets.ts';

/** Each part's health, as `status` prints it: "ok", or what is wrong. */
export interface Health {
  edge: string;
  apis: string[];
  workers: string[];
  postgres: {
    primary: string;
    /** "streaming, lag 0.0 s" when healthy. */
    replica: string;
    pgbouncer: string;
  };
  redis: {
    /** The primary's host:port as the Sentinels' majority names it (when it answers as one). */
    primary: string;
    replica: string;
    sentinels: string[];
  };
  /** null when the cluster runs without monitoring. */
  monitoring: {
    prometheus: string;
    alertmanager: string;
    /** "17/17 up", or which are down ("16/17 up; down: worker-2"). */
    targets: string;
  } | null;
}

/** Why a probe failed, in a few words ("down (ECONNREFUSED)"). */
function why(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = e.code ?? e.cause?.code;
  if (code === 'ECONNREFUSED') return 'down (connection refused)';
  if (typeof code === 'string') return `down (${code})`;
  return `down (${String(e.message ?? err).split('\n')[0]})`;
}

const settle = async (probe: () => Promise<string>): Promise<string> => {
  try {
    return await probe();
  } catch (err) {
    return why(err);
  }
};

const http200 = (url: string) =>
  settle(async () => {
    const status = await httpStatus(url);
    return status === 200 ? 'ok' : `HTTP ${status}`;
  });

/** Probes every part of the cluster (in parallel; each probe times out within a few seconds). */
export async function checkHealth(
  endpoints: Endpoints,
  ports: Ports,
  secrets: ClusterSecrets,
): Promise<Health> {
  const direct = postgresUrls(ports, secrets);
  const pooled = pgbouncerUrls(ports, secrets);
  const redisPrimary = settle(() => majorityPrimary(ports.sentinels));
  const [edge, apis, workers, primary, replica, pgbouncer, sentinels, redisReplica, monitoring] =
    await Promise.all([
      http200(`${endpoints.edge}/healthz`),
      Promise.all(endpoints.apis.map((a) => http200(`${a}/readyz`))),
      Promise.all(endpoints.workers.map((w) => http200(w.replace(/\/metrics$/, '/healthz')))),
      settle(async () => {
        const [row] = await pgQuery<{ standby: boolean }>(
          direct.primaryAdmin,
          'SELECT pg_is_in_recovery() AS standby',
        );
        return row?.standby === false ? 'ok' : 'in recovery: not a primary';
      }),
      settle(async () => {
        const [state, lag] = await Promise.all([
          replicationState(direct.primaryAdmin),
          replicaLagSeconds(direct.replicaAdmin),
        ]);
        return `${state ?? 'not replicating'}, lag ${lag.toFixed(1)} s`;
      }),
      settle(async () => {
        await pgQuery(pooled.primary, 'SELECT 1');
        return 'ok';
      }),
      Promise.all(
        ports.sentinels.map((p) =>
          settle(async () => ((await redisCall(p, 'PING')) === 'PONG' ? 'ok' : 'no PONG')),
        ),
      ),
      redisPrimary.then((address) => replicaHealth(ports, address)),
      monitoringHealth(endpoints),
    ]);
  return {
    edge,
    apis,
    workers,
    postgres: { primary, replica, pgbouncer },
    redis: { primary: await redisPrimary, replica: redisReplica, sentinels },
    monitoring,
  };
}

/** Prometheus and Alertmanager ready, and how many of Prometheus's targets are up. */
async function monitoringHealth(endpoints: Endpoints): Promise<Health['monitoring']> {
  const { prometheus, alertmanager } = endpoints;
  if (!prometheus || !alertmanager) return null;
  const [prom, am, targets] = await Promise.all([
    http200(`${prometheus}/-/ready`),
    http200(`${alertmanager}/-/ready`),
    settle(async () => {
      const res = await fetch(`${prometheus}/api/v1/targets?state=active`, {
        signal: AbortSignal.timeout(2_000),
      });
      const body = (await res.json()) as {
        data: { activeTargets: Array<{ health: string; labels: Record<string, string> }> };
      };
      const all = body.data.activeTargets;
      const down = all.filter((t) => t.health !== 'up').map((t) => t.labels.process ?? '?');
      return `${all.length - down.length}/${all.length} up${down.length ? `; not up: ${down.join(', ')}` : ''}`;
    }),
  ]);
  return { prometheus: prom, alertmanager: am, targets };
}

/** The Redis primary most Sentinels name, checked to answer as a primary (host:port). */
export async function majorityPrimary(sentinels: readonly number[]): Promise<string> {
  const answers = await Promise.all(sentinels.map((p) => primaryFromSentinel(p).catch(() => null)));
  const votes = new Map<string, number>();
  for (const a of answers) if (a) votes.set(a, (votes.get(a) ?? 0) + 1);
  const [best] = [...votes].sort((a, b) => b[1] - a[1]);
  if (!best || best[1] < Math.floor(sentinels.length / 2) + 1)
    throw new Error(`no majority among the Sentinels (${answers.join(', ')})`);
  const role = (await redisInfo(Number(best[0].split(':')[1]), 'replication')).get('role');
  if (role !== 'master') throw new Error(`${best[0]} answers as ${role}`);
  return best[0];
}

/** The node that is not the primary: replicating from it, link up. */
async function replicaHealth(ports: Ports, primary: string): Promise<string> {
  const primaryPort = Number(primary.split(':')[1]);
  const other = ports.redis.find((p) => p !== primaryPort);
  if (!Number.isInteger(primaryPort) || other === undefined) return 'unknown (no primary)';
  return settle(async () => {
    const info = await redisInfo(other, 'replication');
    if (info.get('role') !== 'slave') return `127.0.0.1:${other} is a ${info.get('role')}`;
    if (info.get('master_port') !== String(primaryPort))
      return `replicates 127.0.0.1:${info.get('master_port')}, not the primary`;
    return info.get('master_link_status') === 'up'
      ? 'ok'
      : `link ${info.get('master_link_status')}`;
  });
}

/** Whether every part is healthy. */
export function isHealthy(h: Health): boolean {
  const ok = (s: string) => s === 'ok';
  return (
    ok(h.edge) &&
    h.apis.every(ok) &&
    h.workers.every(ok) &&
    ok(h.postgres.primary) &&
    h.postgres.replica.startsWith('streaming,') &&
    ok(h.postgres.pgbouncer) &&
    /^[\d.]+:\d+$/.test(h.redis.primary) &&
    ok(h.redis.replica) &&
    h.redis.sentinels.every(ok) &&
    (h.monitoring === null || (ok(h.monitoring.prometheus) && ok(h.monitoring.alertmanager)))
  );
}
