// Monitoring on a running cluster: Prometheus scrapes every process on its own, with the labels
// dashboards group by; a real rule fires when a worker is killed, and Alertmanager delivers it,
// routed by severity, to a webhook (an HTTP server here), then the resolution once the worker is
// back. Only the timings are shortened, through the cluster's options (scrape and evaluation
// every second, `for: 0s` in a copy of the rules, group_wait 1 s): ops/prometheus/rules is used
// as shipped.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { type Cluster, freeBasePort, startCluster } from '@llmpt/cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { webhookReceiver } from '../src/webhook.ts';

let cluster: Cluster | undefined;
let hook: Awaited<ReturnType<typeof webhookReceiver>>;
let dataDir: string;

interface Target {
  health: string;
  labels: Record<string, string>;
  scrapeUrl: string;
}

async function prometheus<T>(apiPath: string): Promise<T> {
  const res = await fetch(`${cluster!.endpoints.prometheus}${apiPath}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: T }).data;
}

const targets = () =>
  prometheus<{ activeTargets: Target[] }>('/api/v1/targets?state=active').then(
    (d) => d.activeTargets,
  );

beforeAll(async () => {
  hook = await webhookReceiver();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-monitoring-cluster-'));
  const t0 = Date.now();
  cluster = await startCluster({
    basePort: await freeBasePort(),
    apis: 1,
    workers: 1,
    dataDir,
    env: { LOG_LEVEL: 'warn' },
    monitoring: {
      scrapeIntervalSec: 1,
      evaluationIntervalSec: 1,
      alertFor: '0s',
      alertmanager: {
        webhooks: { critical: [`${hook.url}/critical`], warning: [`${hook.url}/warning`] },
        groupWait: '1s',
        groupInterval: '1s',
      },
    },
  });
  console.log(`cluster with monitoring up in ${Date.now() - t0} ms`);
});

afterAll(async () => {
  await cluster?.stop();
  await hook?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('monitoring on a running cluster', () => {
  it('Prometheus scrapes every process on its own address, labelled by job and process', async () => {
    const c = cluster!;
    expect(c.endpoints.prometheus).toBe(`http://127.0.0.1:${c.ports.monitoring.prometheus}`);
    expect(c.endpoints.alertmanager).toBe(`http://127.0.0.1:${c.ports.monitoring.alertmanager}`);
    let all: Target[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      all = await targets();
      if (all.length > 0 && all.every((t) => t.health === 'up')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const seen = all.map((t) => `${t.labels.job}/${t.labels.process} ${t.health}`).sort();
    expect(seen).toEqual(
      [
        'alertmanager/alertmanager',
        'api/api-1',
        'nginx/nginx',
        'node/node',
        'postgres/postgres-primary',
        'postgres/postgres-replica',
        'prometheus/prometheus',
        'redis-sentinel/sentinel-1',
        'redis-sentinel/sentinel-2',
        'redis-sentinel/sentinel-3',
        'redis/redis-1',
        'redis/redis-2',
        'worker/worker-1',
      ].map((s) => `${s} up`),
    );
    // The api and the worker straight from their metrics ports, not through nginx.
    const scrapeUrl = (process: string) => all.find((t) => t.labels.process === process)?.scrapeUrl;
    expect(scrapeUrl('api-1')).toBe(`http://127.0.0.1:${c.ports.apiMetrics[0]}/metrics`);
    expect(scrapeUrl('worker-1')).toBe(`http://127.0.0.1:${c.ports.workerMetrics[0]}/metrics`);

    // The exporters report what they watch: Postgres and Redis up, nginx's counters, the host.
    const query = async (q: string) =>
      (
        await prometheus<{
          result: Array<{ metric: Record<string, string>; value: [number, string] }>;
        }>(`/api/v1/query?query=${encodeURIComponent(q)}`)
      ).result;
    expect((await query('pg_up')).map((r) => [r.metric.role, r.value[1]]).sort()).toEqual([
      ['primary', '1'],
      ['replica', '1'],
    ]);
    expect(
      (await query('redis_instance_info{job="redis"}')).map((r) => r.metric.role).sort(),
    ).toEqual(['master', 'slave']);
    expect((await query('nginx_up'))[0]?.value[1]).toBe('1');
    expect(Number((await query('node_memory_MemTotal_bytes'))[0]?.value[1])).toBeGreaterThan(0);
    // The shipped rules are loaded (the copy with `for: 0s`), every group of them.
    const groups = await prometheus<{ groups: Array<{ name: string }> }>('/api/v1/rules');
    expect(groups.groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['llmpt-votes', 'llmpt-api', 'llmpt-targets', 'llmpt-redis']),
    );
    const series = await query('count({__name__=~".+"})');
    const memory = await query('process_resident_memory_bytes{job="prometheus"}');
    console.log(
      `Prometheus: ${series[0]?.value[1]} series, ${(Number(memory[0]?.value[1]) / 2 ** 20).toFixed(0)} MiB resident`,
    );
  });

  it('a killed worker: TargetDown reaches the warning webhook and NoRankerLeader the critical one; both resolve once it is back', async () => {
    const c = cluster!;
    // The ranker leader is elected before the worker is killed, so NoRankerLeader is quiet.
    await waitForQuery(c, 'max(ranker_is_leader) == 1');
    const killedAt = Date.now();
    const killed = await c.kill('worker-1');
    await killed.exited;
    const after = (iso: string) => Date.parse(iso) >= killedAt - 1_000;

    const down = await hook.waitFor(
      'TargetDown for worker-1 on the warning webhook',
      (a, n) =>
        n.path === '/warning' &&
        a.status === 'firing' &&
        a.labels.alertname === 'TargetDown' &&
        a.labels.process === 'worker-1' &&
        after(a.startsAt),
      90_000,
    );
    const leader = await hook.waitFor(
      'NoRankerLeader on the critical webhook',
      (a, n) =>
        n.path === '/critical' &&
        a.status === 'firing' &&
        a.labels.alertname === 'NoRankerLeader' &&
        after(a.startsAt),
      90_000,
    );
    console.log(
      `kill → delivered: TargetDown ${down.notification.receivedAt - killedAt} ms, NoRankerLeader ${leader.notification.receivedAt - killedAt} ms`,
    );
    expect(down.alert.labels).toMatchObject({ severity: 'warning', job: 'worker' });
    expect(down.alert.annotations.description).toContain('docs/operations.md#target-down');
    expect(leader.alert.labels.severity).toBe('critical');
    // Routed by severity: nothing critical went to the warning receiver, nor the reverse.
    for (const n of hook.received)
      for (const a of n.alerts) expect(`/${a.labels.severity}`).toBe(n.path);

    const restartedAt = Date.now();
    await c.restart('worker-1');
    const resolved = await hook.waitFor(
      'TargetDown for worker-1 resolved',
      (a, n) =>
        n.path === '/warning' &&
        a.status === 'resolved' &&
        a.labels.alertname === 'TargetDown' &&
        a.labels.process === 'worker-1' &&
        Date.parse(a.endsAt) >= restartedAt - 1_000,
      90_000,
    );
    expect(resolved.notification.receivedAt).toBeGreaterThan(down.notification.receivedAt);
    await hook.waitFor(
      'NoRankerLeader resolved',
      (a) =>
        a.labels.alertname === 'NoRankerLeader' &&
        a.status === 'resolved' &&
        Date.parse(a.endsAt) >= restartedAt - 1_000,
      90_000,
    );
  });
});

/** Polls an instant query until it returns a sample. */
async function waitForQuery(c: Cluster, q: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(
      `${c.endpoints.prometheus}/api/v1/query?query=${encodeURIComponent(q)}`,
    );
    const body = (await res.json()) as { data: { result: unknown[] } };
    if (body.data.result.length > 0) return;
    if (Date.now() > deadline) throw new Error(`no result for ${q} within 60 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
