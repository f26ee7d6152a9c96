import type { K8sObject } from './render.ts';
import { ref } from './render.ts';
import {
  type LabelSelector,
  type PodShape,
  type Probe,
  containers,
  hasPort,
  podShapes,
  selects,
  selectsMap,
} from './pods.ts';

/**
 * The keys of the Secret CloudNativePG makes for a Cluster's application user,
 * `<cluster>-app` (pkg/specs/secrets.go, v1.30).
 */
const CNPG_APP_SECRET_KEYS = [
  'username',
  'user',
  'password',
  'dbname',
  'host',
  'port',
  'pgpass',
  'uri',
  'jdbc-uri',
  'fqdn-uri',
  'fqdn-jdbc-uri',
];

/** ConfigMaps and Secrets by `namespace/name`, with their keys (rendered or operator-made). */
export function keyStores(objects: K8sObject[]): {
  configMaps: Map<string, Set<string>>;
  secrets: Map<string, Set<string>>;
} {
  const configMaps = new Map<string, Set<string>>();
  const secrets = new Map<string, Set<string>>();
  for (const o of objects) {
    const id = `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
    const keys = new Set([
      ...Object.keys((o.data as object | undefined) ?? {}),
      ...Object.keys((o.stringData as object | undefined) ?? {}),
      ...Object.keys((o.binaryData as object | undefined) ?? {}),
    ]);
    if (o.kind === 'ConfigMap') configMaps.set(id, keys);
    if (o.kind === 'Secret') secrets.set(id, keys);
    if (o.apiVersion === 'postgresql.cnpg.io/v1' && o.kind === 'Cluster')
      secrets.set(
        `${o.metadata.namespace ?? 'default'}/${o.metadata.name}-app`,
        new Set(CNPG_APP_SECRET_KEYS),
      );
  }
  return { configMaps, secrets };
}

/**
 * Every reference between the objects resolves: Service selectors and target ports, config and
 * secret keys, HPA and PDB targets, Ingress backends, NetworkPolicy selectors and ports, probe
 * ports, scrape annotations, `$(VAR)` in env values. Returns one line per broken reference.
 */
export function checkReferences(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const pods = podShapes(objects);
  const { configMaps, secrets } = keyStores(objects);
  const inNs = (ns: string) => pods.filter((p) => p.namespace === ns);
  const nsOf = (o: K8sObject) => o.metadata.namespace ?? 'default';
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

  // Services: the selector picks pods, and each port's target exists on all of them.
  for (const svc of byKind('Service')) {
    const spec = svc.spec as {
      selector?: Record<string, string>;
      ports: { name?: string; port: number; targetPort?: number | string }[];
    };
    if (!spec.selector) continue;
    const matched = inNs(nsOf(svc)).filter((p) => selectsMap(spec.selector!, p.labels));
    if (matched.length === 0) {
      problems.push(`${ref(svc)}: selector ${JSON.stringify(spec.selector)} matches no pod`);
      continue;
    }
    for (const port of spec.ports)
      for (const p of matched)
        if (!hasPort(p, port.targetPort ?? port.port))
          problems.push(
            `${ref(svc)}: target port ${port.targetPort ?? port.port} is not a port of ${p.owner}`,
          );
  }

  // Env, envFrom and volumes name ConfigMaps and Secrets (and keys) that exist.
  for (const { owner, namespace, container } of containers(objects)) {
    const cm = (name: string) => configMaps.get(`${namespace}/${name}`);
    const sec = (name: string) => secrets.get(`${namespace}/${name}`);
    for (const from of container.envFrom ?? []) {
      if (from.configMapRef && !cm(from.configMapRef.name))
        problems.push(`${owner}: envFrom ConfigMap ${from.configMapRef.name} does not exist`);
      if (from.secretRef && !sec(from.secretRef.name))
        problems.push(`${owner}: envFrom Secret ${from.secretRef.name} does not exist`);
    }
    const defined = new Set<string>();
    for (const from of container.envFrom ?? []) {
      const keys = from.configMapRef
        ? cm(from.configMapRef.name)
        : from.secretRef
          ? sec(from.secretRef.name)
          : undefined;
      for (const k of keys ?? []) defined.add(k);
    }
    for (const v of container.env ?? []) {
      const c = v.valueFrom?.configMapKeyRef;
      if (c && !cm(c.name)?.has(c.key))
        problems.push(
          `${owner}: env ${v.name} reads ConfigMap ${c.name} key ${c.key}, which does not exist`,
        );
      const s = v.valueFrom?.secretKeyRef;
      if (s && !sec(s.name)?.has(s.key))
        problems.push(
          `${owner}: env ${v.name} reads Secret ${s.name} key ${s.key}, which does not exist`,
        );
      // Kubernetes expands $(NAME) only for variables defined earlier; others stay literal.
      for (const m of (v.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g))
        if (!defined.has(m[1]!))
          problems.push(`${owner}: env ${v.name} uses $(${m[1]}), not defined before it`);
      defined.add(v.name);
    }
    // Probes reach a port the container declares (by name or number).
    const probes: [string, Probe | undefined][] = [
      ['readinessProbe', container.readinessProbe],
      ['livenessProbe', container.livenessProbe],
      ['startupProbe', container.startupProbe],
    ];
    for (const [kind, probe] of probes) {
      const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
      if (port === undefined) continue;
      const declared = (container.ports ?? []).some((p) =>
        typeof port === 'number' ? p.containerPort === port : p.name === port,
      );
      if (!declared) problems.push(`${owner}: ${kind} port ${port} is not a port of the container`);
      if (typeof port === 'number')
        problems.push(`${owner}: ${kind} uses port number ${port}; name the port instead`);
    }
  }
  for (const p of pods) {
    for (const vol of p.spec?.volumes ?? []) {
      if (vol.configMap && !configMaps.has(`${p.namespace}/${vol.configMap.name}`))
        problems.push(
          `${p.owner}: volume ${vol.name} mounts ConfigMap ${vol.configMap.name}, which does not exist`,
        );
      if (vol.secret && !secrets.has(`${p.namespace}/${vol.secret.secretName}`))
        problems.push(
          `${p.owner}: volume ${vol.name} mounts Secret ${vol.secret.secretName}, which does not exist`,
        );
    }
    // The scrape annotation names a declared port.
    const scrapePort = p.annotations['prometheus.io/port'];
    if (p.annotations['prometheus.io/scrape'] === 'true' && !hasPort(p, Number(scrapePort)))
      problems.push(`${p.owner}: prometheus.io/port ${scrapePort} is not a port of the pod`);
  }

  // HPAs scale a Deployment that exists.
  for (const hpa of byKind('HorizontalPodAutoscaler')) {
    const target = (hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
    if (
      !objects.some(
        (o) => o.kind === target.kind && o.metadata.name === target.name && nsOf(o) === nsOf(hpa),
      )
    )
      problems.push(`${ref(hpa)}: scales ${target.kind}/${target.name}, which does not exist`);
  }

  // PDBs select pods, and never forbid every voluntary eviction.
  for (const pdb of byKind('PodDisruptionBudget')) {
    const spec = pdb.spec as {
      selector: LabelSelector;
      minAvailable?: number | string;
      maxUnavailable?: number | string;
    };
    const matched = objects.filter(
      (o) =>
        ['Deployment', 'StatefulSet'].includes(o.kind) &&
        nsOf(o) === nsOf(pdb) &&
        selects(
          spec.selector,
          (o.spec as { template: { metadata?: { labels?: Record<string, string> } } }).template
            .metadata?.labels ?? {},
        ),
    );
    if (matched.length === 0) problems.push(`${ref(pdb)}: selector matches no workload`);
    const replicas = matched.reduce(
      (n, o) => n + ((o.spec as { replicas?: number }).replicas ?? 1),
      0,
    );
    if (
      typeof spec.minAvailable === 'number' &&
      matched.length > 0 &&
      spec.minAvailable >= replicas
    )
      problems.push(
        `${ref(pdb)}: minAvailable ${spec.minAvailable} of ${replicas} replicas blocks every node drain`,
      );
    if (spec.maxUnavailable === 0)
      problems.push(`${ref(pdb)}: maxUnavailable 0 blocks every node drain`);
  }

  // Ingress backends: a Service of the namespace, on one of its ports.
  for (const ing of byKind('Ingress')) {
    const rules =
      (
        ing.spec as {
          rules?: {
            http?: {
              paths: {
                backend: { service?: { name: string; port: { name?: string; number?: number } } };
              }[];
            };
          }[];
        }
      ).rules ?? [];
    for (const path of rules.flatMap((r) => r.http?.paths ?? [])) {
      const b = path.backend.service;
      if (!b) continue;
      const svc = objects.find(
        (o) => o.kind === 'Service' && o.metadata.name === b.name && nsOf(o) === nsOf(ing),
      );
      if (!svc) {
        problems.push(`${ref(ing)}: backend Service ${b.name} does not exist`);
        continue;
      }
      const ports = (svc.spec as { ports: { name?: string; port: number }[] }).ports;
      if (!ports.some((p) => (b.port.name ? p.name === b.port.name : p.port === b.port.number)))
        problems.push(`${ref(ing)}: Service ${b.name} has no port ${b.port.name ?? b.port.number}`);
    }
  }

  problems.push(...checkNetworkPolicies(objects, pods));
  return problems;
}

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: unknown;
}
interface PolicyRule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: { port?: number | string; protocol?: string }[];
}

/**
 * NetworkPolicies: each selects some pod; an ingress port is a port of every pod the policy
 * selects; an egress port is a port of every pod of this namespace it allows (peers in other
 * namespaces, and DNS, are not rendered here and not checked).
 */
function checkNetworkPolicies(objects: K8sObject[], pods: PodShape[]): string[] {
  const problems: string[] = [];
  for (const np of objects.filter((o) => o.kind === 'NetworkPolicy')) {
    const ns = np.metadata.namespace ?? 'default';
    const spec = np.spec as {
      podSelector: LabelSelector;
      ingress?: PolicyRule[];
      egress?: PolicyRule[];
    };
    const local = pods.filter((p) => p.namespace === ns);
    const selected = local.filter((p) => selects(spec.podSelector, p.labels));
    if (selected.length === 0) problems.push(`${ref(np)}: podSelector matches no pod`);
    const check = (rule: PolicyRule, targets: PodShape[], direction: string) => {
      for (const { port } of rule.ports ?? []) {
        if (port === undefined) continue;
        for (const p of targets)
          if (!hasPort(p, port))
            problems.push(`${ref(np)}: ${direction} port ${port} is not a port of ${p.owner}`);
      }
    };
    for (const rule of spec.ingress ?? []) {
      for (const peer of rule.from ?? [])
        if (
          peer.podSelector &&
          !peer.namespaceSelector &&
          !local.some((p) => selects(peer.podSelector, p.labels))
        )
          problems.push(
            `${ref(np)}: ingress peer ${JSON.stringify(peer.podSelector)} matches no pod`,
          );
      check(rule, selected, 'ingress');
    }
    for (const rule of spec.egress ?? []) {
      const peers = (rule.to ?? []).filter((peer) => peer.podSelector && !peer.namespaceSelector);
      const targets = local.filter((p) =>
        peers.some((peer) => selects(peer.podSelector, p.labels)),
      );
      if (peers.length > 0 && targets.length === 0)
        problems.push(`${ref(np)}: egress peers ${JSON.stringify(peers)} match no pod`);
      check(rule, targets, 'egress');
    }
  }
  return problems;
}
