import type { K8sObject } from './render.ts';

/** A container as far as the checks read it. */
export interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string };
    secretKeyRef?: { name: string; key: string };
  };
}
export interface Probe {
  httpGet?: { port: number | string; path?: string };
  tcpSocket?: { port: number | string };
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; configMap?: { name: string }; secret?: { secretName: string } }[];
}

/** The pods a namespace will run: from our workloads, and those the operators create. */
export interface PodShape {
  /** Where it comes from, for messages: `Deployment/llmpt-api`, `Cluster/llmpt-pg (operator)`. */
  owner: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Ports by number, with their names (unnamed: undefined). */
  ports: { name?: string; containerPort: number }[];
  /** Only for our own workloads (operator pods are not rendered). */
  spec?: PodSpec;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

interface Template {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

/**
 * CloudNativePG's pods, by the labels and ports the operator gives them (v1.30): instances
 * (postgresql 5432, metrics 9187, status 8000) and PgBouncer (pgbouncer 5432, metrics 9127).
 */
function operatorPods(o: K8sObject, ns: string): PodShape[] {
  const spec = o.spec as {
    cluster?: { name: string };
    template?: Template;
    inheritedMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  };
  if (o.apiVersion === 'postgresql.cnpg.io/v1' && o.kind === 'Cluster')
    return ['primary', 'replica'].map((role) => ({
      owner: `Cluster/${o.metadata.name} (operator, ${role})`,
      namespace: ns,
      labels: {
        ...spec.inheritedMetadata?.labels,
        'cnpg.io/cluster': o.metadata.name,
        'cnpg.io/podRole': 'instance',
        'cnpg.io/instanceRole': role,
      },
      annotations: { ...spec.inheritedMetadata?.annotations },
      ports: [
        { name: 'postgresql', containerPort: 5432 },
        { name: 'metrics', containerPort: 9187 },
        { name: 'status', containerPort: 8000 },
      ],
    }));
  if (o.apiVersion === 'postgresql.cnpg.io/v1' && o.kind === 'Pooler')
    return [
      {
        owner: `Pooler/${o.metadata.name} (operator)`,
        namespace: ns,
        labels: {
          ...spec.template?.metadata?.labels,
          'cnpg.io/cluster': spec.cluster?.name ?? '',
          'cnpg.io/poolerName': o.metadata.name,
          'cnpg.io/podRole': 'pooler',
        },
        annotations: { ...spec.template?.metadata?.annotations },
        ports: [
          { name: 'pgbouncer', containerPort: 5432 },
          { name: 'metrics', containerPort: 9127 },
        ],
      },
    ];
  return [];
}

/** Every pod shape of the rendered objects. */
export function podShapes(objects: K8sObject[]): PodShape[] {
  const pods: PodShape[] = [];
  for (const o of objects) {
    const ns = o.metadata.namespace ?? 'default';
    if (WORKLOADS.has(o.kind)) {
      const t = (o.spec as { template: Template }).template;
      const containers = [...t.spec.containers, ...(t.spec.initContainers ?? [])];
      pods.push({
        owner: `${o.kind}/${o.metadata.name}`,
        namespace: ns,
        labels: t.metadata?.labels ?? {},
        annotations: t.metadata?.annotations ?? {},
        ports: containers.flatMap((c) => c.ports ?? []),
        spec: t.spec,
      });
    }
    pods.push(...operatorPods(o, ns));
  }
  return pods;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Kubernetes' label selector semantics (an empty selector selects everything). */
export function selects(
  selector: LabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}))
    if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** A Service's plain map selector. */
export function selectsMap(
  selector: Record<string, string>,
  labels: Record<string, string>,
): boolean {
  return selects({ matchLabels: selector }, labels);
}

/** Whether the pod declares the port (a number, or a port name). */
export function hasPort(pod: PodShape, port: number | string): boolean {
  return pod.ports.some((p) =>
    typeof port === 'number' ? p.containerPort === port : p.name === port,
  );
}

/** Containers of the workloads, each with its owner. */
export function containers(
  objects: K8sObject[],
): { owner: string; namespace: string; container: Container }[] {
  return podShapes(objects).flatMap((p) =>
    p.spec
      ? [...p.spec.containers, ...(p.spec.initContainers ?? [])].map((container) => ({
          owner: `${p.owner} container ${container.name}`,
          namespace: p.namespace,
          container,
        }))
      : [],
  );
}
