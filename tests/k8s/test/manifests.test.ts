import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { checkAppEnv } from '../src/app-env.ts';
import { checkMonitoring } from '../src/monitoring.ts';
import { checkPodSecurity } from '../src/pod-security.ts';
import { containers } from '../src/pods.ts';
import { checkReferences } from '../src/references.ts';
import { type K8sObject, k8sRoot, renderAll, workCopy } from '../src/render.ts';
import { loadCrdValidators, validateAll } from '../src/schemas.ts';

const run = promisify(execFile);

let work: Awaited<ReturnType<typeof workCopy>> | undefined;
let production: K8sObject[] = [];
let monitoring: K8sObject[] = [];
let crds: Map<string, ValidateFunction>;

beforeAll(async () => {
  work = await workCopy();
  ({ production, monitoring } = await renderAll(work.dir));
  crds = loadCrdValidators();
}, 120_000);
afterAll(() => work?.cleanup());

const kinds = (objects: K8sObject[]) => {
  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  return counts;
};

describe('ops/k8s, rendered with kubectl kustomize', () => {
  test('production holds every part of the deployment', () => {
    const names = production.map((o) => `${o.kind}/${o.metadata.name}`);
    for (const part of [
      'Deployment/llmpt-api',
      'Deployment/llmpt-worker',
      'Deployment/llmpt-edge',
      'HorizontalPodAutoscaler/llmpt-api',
      'Ingress/llmpt-api',
      'Job/llmpt-migrate',
      'Cluster/llmpt-pg',
      'Pooler/llmpt-pg-pooler-rw',
      'Pooler/llmpt-pg-pooler-ro',
      'StatefulSet/llmpt-redis',
      'StatefulSet/llmpt-sentinel',
      'NetworkPolicy/default-deny',
      'ScheduledBackup/llmpt-pg-nightly',
    ])
      expect(names).toContain(part);
    expect(kinds(production).PodDisruptionBudget).toBe(5);
    // Every object lands in the app's namespace (cluster-scoped: the Namespace itself).
    expect(
      production.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'llmpt'),
    ).toEqual([]);
  });

  test('every object is valid against its schema: Kubernetes OpenAPI for built-in kinds, the CRD for CloudNativePG and Barman Cloud', async () => {
    const all = [...production, ...monitoring];
    const result = await validateAll(all, crds);
    expect(result.problems).toEqual([]);
    expect(result.builtIn + result.custom).toBe(all.length);
    expect(result.custom).toBe(5); // Cluster, 2 Poolers, ObjectStore, ScheduledBackup
    console.log(
      `validated ${all.length} objects (${result.builtIn} built-in, ${result.custom} custom resources): ` +
        JSON.stringify(kinds(all)),
    );
  });

  test('every reference resolves: selectors, ports, keys, targets, backends, policies', () => {
    expect(checkReferences(production)).toEqual([]);
    expect(checkReferences(monitoring)).toEqual([]);
  });

  test("each app container's environment passes that app's own env.ts", () => {
    const { problems, checked } = checkAppEnv(production);
    expect(problems).toEqual([]);
    expect(checked).toEqual([
      'Deployment/llmpt-api container api (apps/api)',
      'Deployment/llmpt-worker container worker (apps/worker)',
      'Job/llmpt-migrate container migrate (packages/db)',
    ]);
  });

  test('monitoring: every rule file loaded, promtool accepts the config, the HPA metric is served', async () => {
    expect(await checkMonitoring(production, monitoring)).toEqual([]);
  }, 60_000);

  test('pods meet the namespace\'s "restricted" Pod Security level', () => {
    expect(checkPodSecurity(production)).toEqual([]);
  });

  test('production pins every image to a tag other than latest', () => {
    const unpinned = containers([...production, ...monitoring])
      .map((c) => c.container.image ?? '')
      .filter((image) => !/:[\w][\w.-]*$/.test(image) || image.endsWith(':latest'));
    expect(unpinned).toEqual([]);
  });

  test('the api outlives its own drain: grace period > preStop pause + SHUTDOWN_TIMEOUT_MS', async () => {
    const { readFile } = await import('node:fs/promises');
    for (const [name, src] of [
      ['llmpt-api', 'apps/api/src/index.ts'],
      ['llmpt-worker', 'apps/worker/src/index.ts'],
    ] as const) {
      const text = await readFile(path.join(k8sRoot, '../..', src), 'utf8');
      const m = /SHUTDOWN_TIMEOUT_MS = ([\d_]+)/.exec(text);
      expect(m, `${src} defines SHUTDOWN_TIMEOUT_MS`).not.toBeNull();
      const drainSec = Number(m![1]!.replace(/_/g, '')) / 1000;
      const d = production.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;
      const pod = (
        d.spec as {
          template: {
            spec: {
              terminationGracePeriodSeconds: number;
              containers: { lifecycle?: { preStop?: { exec?: { command: string[] } } } }[];
            };
          };
        }
      ).template.spec;
      const pause = Number(pod.containers[0]?.lifecycle?.preStop?.exec?.command[1] ?? 0);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(pause + drainSec);
    }
  });

  test('the Redis and Sentinel start scripts are valid sh', async () => {
    const dir = path.join(k8sRoot, 'base/redis');
    const scripts = (await readdir(dir)).filter((f) => f.endsWith('.sh'));
    expect(scripts.length).toBe(2);
    for (const s of scripts) await run('sh', ['-n', path.join(dir, s)]);
  });
});
