import { ENV_KEYS as API_KEYS, loadEnv as loadApiEnv } from '../../../apps/api/src/env.ts';
import { ENV_KEYS as WORKER_KEYS, loadEnv as loadWorkerEnv } from '../../../apps/worker/src/env.ts';
import { databaseEnvShape } from '../../../packages/shared/src/env.ts';
import type { Container } from './pods.ts';
import { containers } from './pods.ts';
import type { K8sObject } from './render.ts';

/** The apps whose environment is validated, by the image the container runs. */
const APPS: {
  image: RegExp;
  name: string;
  keys: readonly string[];
  load: (env: NodeJS.ProcessEnv) => unknown;
}[] = [
  { image: /(^|\/)llmpt\/api(:|$)/, name: 'apps/api', keys: API_KEYS, load: loadApiEnv },
  {
    image: /(^|\/)llmpt\/worker(:|$)/,
    name: 'apps/worker',
    keys: WORKER_KEYS,
    load: loadWorkerEnv,
  },
  // packages/db's CLIs (migrate, seed) read DATABASE_URL alone (packages/db/src/env.ts, which
  // caches its first result, so the shared rule is applied here directly).
  {
    image: /(^|\/)llmpt\/migrate(:|$)/,
    name: 'packages/db',
    keys: ['DATABASE_URL'],
    load: (env) => {
      const url = databaseEnvShape.DATABASE_URL.safeParse(env.DATABASE_URL);
      if (!url.success)
        throw new Error(
          `DATABASE_URL: ${env.DATABASE_URL === undefined ? 'is not set' : url.error.issues[0]?.message}`,
        );
    },
  },
];

/**
 * A value for a Secret key the cluster will hold: the rendered Secret's own, or, for one the
 * operator makes (CloudNativePG's generated password: 64 letters and digits), one of that form.
 */
function secretValue(
  objects: K8sObject[],
  namespace: string,
  name: string,
  key: string,
): string | undefined {
  const secret = objects.find(
    (o) =>
      o.kind === 'Secret' &&
      o.metadata.name === name &&
      (o.metadata.namespace ?? 'default') === namespace,
  );
  if (secret) {
    const data = (secret.data as Record<string, string> | undefined)?.[key];
    if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
    return (secret.stringData as Record<string, string> | undefined)?.[key];
  }
  if (name.endsWith('-app') && key === 'password') return 'Ab3'.repeat(21) + 'x';
  return undefined;
}

/** The environment Kubernetes gives the container: envFrom, then env in order, $(VAR) expanded. */
export function containerEnv(
  objects: K8sObject[],
  namespace: string,
  c: Container,
): Record<string, string> {
  const env: Record<string, string> = {};
  const configMap = (name: string) =>
    objects.find(
      (o) =>
        o.kind === 'ConfigMap' &&
        o.metadata.name === name &&
        (o.metadata.namespace ?? 'default') === namespace,
    )?.data as Record<string, string> | undefined;
  for (const from of c.envFrom ?? [])
    if (from.configMapRef) Object.assign(env, configMap(from.configMapRef.name));
  for (const v of c.env ?? []) {
    let value: string | undefined;
    if (v.value !== undefined)
      value = v.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, n: string) => env[n] ?? m);
    else if (v.valueFrom?.configMapKeyRef)
      value = configMap(v.valueFrom.configMapKeyRef.name)?.[v.valueFrom.configMapKeyRef.key];
    else if (v.valueFrom?.secretKeyRef)
      value = secretValue(
        objects,
        namespace,
        v.valueFrom.secretKeyRef.name,
        v.valueFrom.secretKeyRef.key,
      );
    if (value !== undefined) env[v.name] = value;
  }
  return env;
}

/**
 * Each app container's environment passes that app's own validation (its env.ts, the zod schema
 * the process runs at start), and names no variable the app does not read, except helpers that
 * another of its values uses as `$(NAME)`.
 */
export function checkAppEnv(objects: K8sObject[]): { problems: string[]; checked: string[] } {
  const problems: string[] = [];
  const checked: string[] = [];
  for (const { owner, namespace, container } of containers(objects)) {
    const app = APPS.find((a) => a.image.test(container.image ?? ''));
    if (!app) continue;
    checked.push(`${owner} (${app.name})`);
    const env = containerEnv(objects, namespace, container);
    const usedAsHelper = new Set(
      (container.env ?? []).flatMap((v) =>
        [...(v.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]!),
      ),
    );
    for (const key of Object.keys(env))
      if (!app.keys.includes(key) && !usedAsHelper.has(key))
        problems.push(`${owner}: ${key} is not a variable ${app.name} reads`);
    try {
      app.load(env);
    } catch (err) {
      problems.push(`${owner}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { problems, checked };
}
