// The checks catch broken manifests: each test breaks one thing in a copy (rendered objects,
// or the files themselves before kubectl kustomize) and expects the problem to be named.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { checkAppEnv } from '../src/app-env.ts';
import { checkMonitoring } from '../src/monitoring.ts';
import { checkPodSecurity } from '../src/pod-security.ts';
import { checkReferences } from '../src/references.ts';
import { type K8sObject, checkKubectl, renderAll, workCopy } from '../src/render.ts';
import { loadCrdValidators, validateAll } from '../src/schemas.ts';

let work: Awaited<ReturnType<typeof workCopy>> | undefined;
let rendered: { production: K8sObject[]; monitoring: K8sObject[] };
let crds: Map<string, ValidateFunction>;

beforeAll(async () => {
  work = await workCopy();
  rendered = await renderAll(work.dir);
  crds = loadCrdValidators();
});
afterAll(() => work?.cleanup());

/** A field holder inside a manifest, reached by `node`. */
type Node = Record<string, unknown>;

/** The object at `path` (keys and array indexes) inside `o`; throws if it is not there. */
function node(o: unknown, ...path: (string | number)[]): Node {
  let at: unknown = o;
  for (const key of path) {
    if (at === null || typeof at !== 'object') throw new Error(`no ${path.join('.')}`);
    at = (at as Record<string | number, unknown>)[key];
  }
  if (at === null || typeof at !== 'object') throw new Error(`no object at ${path.join('.')}`);
  return at as Node;
}

/** A deep copy of production with `edit` applied to the object `kind/name`. */
function broken(kind: string, name: string, edit: (o: K8sObject) => void): K8sObject[] {
  const copy = structuredClone(rendered.production);
  const target = copy.find((o) => o.kind === kind && o.metadata.name === name);
  if (!target) throw new Error(`no ${kind}/${name} to break`);
  edit(target);
  return copy;
}

const firstContainer = (o: K8sObject) => node(o, 'spec', 'template', 'spec', 'containers', 0);
function envVar(o: K8sObject, name: string): Node {
  const env = firstContainer(o).env as Node[];
  const v = env.find((e) => e.name === name);
  if (!v) throw new Error(`no env ${name}`);
  return v;
}

describe('schema validation catches', () => {
  test('a misspelt field of a built-in kind', async () => {
    const objects = broken('Deployment', 'llmpt-api', (o) => {
      firstContainer(o).readinesProbe = firstContainer(o).readinessProbe;
    });
    expect((await validateAll(objects, crds)).problems).toEqual([
      'Deployment/llmpt-api.spec.template.spec.containers[0].readinesProbe: no such field',
    ]);
  });

  test('a wrong type in a built-in kind', async () => {
    const objects = broken('HorizontalPodAutoscaler', 'llmpt-api', (o) => {
      node(o, 'spec').minReplicas = 'four';
    });
    expect((await validateAll(objects, crds)).problems.join('\n')).toMatch(
      /minReplicas must be integer/,
    );
  });

  test("a CNPG Cluster field that is not in the operator's CRD", async () => {
    const objects = broken('Cluster', 'llmpt-pg', (o) => {
      node(o, 'spec').replicas = 3;
    });
    expect((await validateAll(objects, crds)).problems).toEqual([
      'Cluster/llmpt-pg: /spec must NOT have additional properties (replicas)',
    ]);
  });

  test('a PgBouncer pool mode the Pooler CRD does not allow', async () => {
    const objects = broken('Pooler', 'llmpt-pg-pooler-rw', (o) => {
      node(o, 'spec', 'pgbouncer').poolMode = 'statement';
    });
    expect((await validateAll(objects, crds)).problems.join('\n')).toMatch(
      /Pooler\/llmpt-pg-pooler-rw: \/spec\/pgbouncer\/poolMode must be equal to one of the allowed values/,
    );
  });

  test('a kind no schema knows', async () => {
    const objects = [
      ...rendered.production,
      { apiVersion: 'example.org/v1', kind: 'Widget', metadata: { name: 'w' } },
    ];
    expect((await validateAll(objects, crds)).problems).toContain(
      'Widget/w: no schema for example.org/v1 Widget',
    );
  });
});

describe('reference checks catch', () => {
  test('a Service selecting no pod', () => {
    const objects = broken('Service', 'llmpt-api', (o) => {
      node(o, 'spec', 'selector')['app.kubernetes.io/name'] = 'llmpt-apl';
    });
    expect(checkReferences(objects)).toContain(
      'Service/llmpt-api: selector {"app.kubernetes.io/name":"llmpt-apl"} matches no pod',
    );
  });

  test('a secretKeyRef to a key the Secret does not have', () => {
    const objects = broken('Deployment', 'llmpt-api', (o) => {
      node(envVar(o, 'VOTER_COOKIE_SECRET'), 'valueFrom', 'secretKeyRef').key = 'COOKIE_SECRET';
    });
    // The generated Secret's name carries its content hash.
    expect(checkReferences(objects)).toEqual([
      expect.stringMatching(
        /^Deployment\/llmpt-api container api: env VOTER_COOKIE_SECRET reads Secret llmpt-secrets-\w+ key COOKIE_SECRET, which does not exist$/,
      ),
    ]);
  });

  test('an HPA aimed at a Deployment that does not exist', () => {
    const objects = broken('HorizontalPodAutoscaler', 'llmpt-api', (o) => {
      node(o, 'spec', 'scaleTargetRef').name = 'api';
    });
    expect(checkReferences(objects)).toEqual([
      'HorizontalPodAutoscaler/llmpt-api: scales Deployment/api, which does not exist',
    ]);
  });

  test('a NetworkPolicy port that no pod on that side listens on', () => {
    const objects = broken('NetworkPolicy', 'llmpt-worker', (o) => {
      node(o, 'spec', 'egress', 1, 'ports', 0).port = 6380;
    });
    expect(checkReferences(objects)).toEqual([
      'NetworkPolicy/llmpt-worker: egress port 6380 is not a port of StatefulSet/llmpt-redis',
    ]);
  });

  test('a probe on a port name the container does not declare', () => {
    const objects = broken('Deployment', 'llmpt-api', (o) => {
      node(firstContainer(o), 'readinessProbe', 'httpGet').port = 'web';
    });
    expect(checkReferences(objects)).toEqual([
      'Deployment/llmpt-api container api: readinessProbe port web is not a port of the container',
    ]);
  });

  test('$(VAR) naming a variable not defined before it', () => {
    const objects = broken('Deployment', 'llmpt-worker', (o) => {
      envVar(o, 'DATABASE_URL').value =
        'postgres://llmpt:$(PG_PASSWORD)@llmpt-pg-pooler-rw:5432/llmpt';
    });
    expect(checkReferences(objects)).toEqual([
      'Deployment/llmpt-worker container worker: env DATABASE_URL uses $(PG_PASSWORD), not defined before it',
    ]);
  });

  test('an Ingress backend port the Service does not have', () => {
    const objects = broken('Ingress', 'llmpt-web', (o) => {
      node(o, 'spec', 'rules', 0, 'http', 'paths', 0, 'backend', 'service', 'port').name = 'https';
    });
    expect(checkReferences(objects)).toEqual([
      'Ingress/llmpt-web: Service llmpt-edge has no port https',
    ]);
  });

  test('a PodDisruptionBudget that would block every drain', () => {
    const objects = broken('PodDisruptionBudget', 'llmpt-worker', (o) => {
      node(o, 'spec').minAvailable = 2;
    });
    expect(checkReferences(objects)).toEqual([
      'PodDisruptionBudget/llmpt-worker: minAvailable 2 of 2 replicas blocks every node drain',
    ]);
  });
});

describe("the apps' own env validation catches", () => {
  test('a variable name the api does not read', () => {
    const objects = broken('Deployment', 'llmpt-api', (o) => {
      envVar(o, 'TRUST_PROXY').name = 'TRUSTED_PROXIES';
    });
    expect(checkAppEnv(objects).problems).toEqual([
      'Deployment/llmpt-api container api: TRUSTED_PROXIES is not a variable apps/api reads',
    ]);
  });

  test('a value the api refuses', () => {
    const objects = broken('Deployment', 'llmpt-api', (o) => {
      envVar(o, 'TRUST_PROXY').value = 'true';
    });
    expect(checkAppEnv(objects).problems.join('\n')).toMatch(
      /apps\/api:\n {2}TRUST_PROXY: hop counts and "true"/,
    );
  });

  test('a Sentinel list in the wrong form, for both apps', () => {
    const objects = structuredClone(rendered.production);
    const config = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('llmpt-config-'),
    )!;
    (config.data as Record<string, string>).REDIS_SENTINELS = 'llmpt-sentinel';
    const problems = checkAppEnv(objects).problems.join('\n');
    expect(problems).toMatch(/apps\/api:\n {2}REDIS_SENTINELS: must be host:port/);
    expect(problems).toMatch(/apps\/worker:\n {2}REDIS_SENTINELS: must be host:port/);
  });

  test('a migration Job without a postgres:// DATABASE_URL', () => {
    const objects = broken('Job', 'llmpt-migrate', (o) => {
      envVar(o, 'DATABASE_URL').value = 'mysql://llmpt:$(PG_APP_PASSWORD)@llmpt-pg-rw:5432/llmpt';
    });
    expect(checkAppEnv(objects).problems).toEqual([
      'Job/llmpt-migrate container migrate: DATABASE_URL: must be a postgres:// URL',
    ]);
  });
});

describe('monitoring and pod security checks catch', () => {
  test('a rule file left out of the rules ConfigMap', async () => {
    const monitoring = structuredClone(rendered.monitoring);
    const rules = monitoring.find((o) => o.metadata.name.startsWith('prometheus-rules'))!;
    delete (rules.data as Record<string, string>)['votes.yml'];
    expect((await checkMonitoring(rendered.production, monitoring)).join('\n')).toMatch(
      // votes.yml named as missing: in the folder's list, not in the ConfigMap's.
      /prometheus-rules carries \[(?![^\]]*votes\.yml)[^\]]*\] but ops\/prometheus\/rules has \[[^\]]*votes\.yml/,
    );
  });

  test('an HPA metric that no prometheus-adapter rule serves', async () => {
    const production = broken('HorizontalPodAutoscaler', 'llmpt-api', (o) => {
      node(o, 'spec', 'metrics', 1, 'pods', 'metric').name = 'ws_clients';
    });
    expect(await checkMonitoring(production, rendered.monitoring)).toEqual([
      'HorizontalPodAutoscaler/llmpt-api: no prometheus-adapter rule serves ws_clients',
    ]);
  });

  test('a scrape config promtool refuses', async () => {
    const monitoring = structuredClone(rendered.monitoring);
    const config = monitoring.find((o) => o.metadata.name.startsWith('prometheus-config'))!;
    const data = config.data as Record<string, string>;
    data['prometheus.yml'] = data['prometheus.yml']!.replace("regex: '(.+)'", "regex: '(.+'");
    expect((await checkMonitoring(rendered.production, monitoring)).join('\n')).toMatch(
      /promtool check config: .*FAILED/,
    );
  });

  test('a container that may escalate privileges', () => {
    const objects = broken('StatefulSet', 'llmpt-sentinel', (o) => {
      delete node(firstContainer(o), 'securityContext').allowPrivilegeEscalation;
    });
    expect(checkPodSecurity(objects)).toEqual([
      'StatefulSet/llmpt-sentinel container sentinel: allowPrivilegeEscalation is not false',
    ]);
  });
});

describe('from the files themselves', () => {
  test('a broken port name in base/api/deployment.yaml is caught after kubectl kustomize', async () => {
    const file = path.join(work!.dir, 'ops/k8s/base/api/deployment.yaml');
    const original = await readFile(file, 'utf8');
    try {
      await writeFile(
        file,
        original.replace(
          '- name: metrics\n              containerPort: 9463',
          '- name: metric\n              containerPort: 9463',
        ),
      );
      const { production } = await renderAll(work!.dir);
      expect(checkReferences(production)).toEqual([
        'NetworkPolicy/allow-prometheus: ingress port metrics is not a port of Deployment/llmpt-api',
      ]);
    } finally {
      await writeFile(file, original);
    }
  });

  test('a kubectl whose kustomize is too old is refused with the versions and the fix', async () => {
    // Debian's kubernetes-client 1.20 answers without a kustomizeVersion (kustomize v2).
    const fake = path.join(work!.dir, 'kubectl-1.20');
    await writeFile(fake, '#!/bin/sh\necho \'{"clientVersion":{"gitVersion":"v1.20.15"}}\'\n', {
      mode: 0o755,
    });
    await expect(checkKubectl(fake)).rejects.toThrow(
      /kubectl-1\.20 \(v1\.20\.15\) embeds kustomize older than v4 .*needs kustomize v4\.1 or later/,
    );
  });
});
