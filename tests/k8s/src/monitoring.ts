import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { SYSTEM_COMMANDS, findOrInstall } from '@llmpt/devstack';
import { parse, stringify } from 'yaml';

import { podShapes } from './pods.ts';
import { type K8sObject, repoRoot } from './render.ts';

const run = promisify(execFile);

function configMap(objects: K8sObject[], prefix: string): Record<string, string> | undefined {
  // Generated ConfigMaps carry a content hash after their name.
  return objects.find(
    (o) =>
      o.kind === 'ConfigMap' && new RegExp(`^${prefix}(-[a-z0-9]{10})?$`).test(o.metadata.name),
  )?.data as Record<string, string> | undefined;
}

interface PrometheusConfig {
  rule_files?: string[];
  scrape_configs?: {
    job_name: string;
    kubernetes_sd_configs?: unknown[];
    relabel_configs?: { target_label?: string }[];
  }[];
}
interface AdapterConfig {
  rules: {
    seriesQuery: string;
    resources?: { overrides?: Record<string, unknown> };
    name?: { as?: string };
  }[];
}

/**
 * Monitoring holds together: the rules ConfigMap carries every file of ops/prometheus/rules;
 * promtool accepts the scrape config with those rules; each HPA Pods metric is served by a
 * prometheus-adapter rule, over a metric the api exports and series labelled as the adapter
 * expects; and every `job="…"` a rule selects is a job the scrape config produces.
 */
export async function checkMonitoring(
  production: K8sObject[],
  monitoring: K8sObject[],
): Promise<string[]> {
  const problems: string[] = [];
  const rulesDir = path.join(repoRoot, 'ops/prometheus/rules');
  const ruleFiles = (await readdir(rulesDir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const rules = configMap(monitoring, 'prometheus-rules') ?? {};
  const carried = Object.keys(rules).sort();
  if (JSON.stringify(carried) !== JSON.stringify(ruleFiles))
    problems.push(
      `prometheus-rules carries [${carried.join(', ')}] but ops/prometheus/rules has [${ruleFiles.join(', ')}]: list each file in ops/k8s/monitoring/kustomization.yaml`,
    );

  const promText = configMap(monitoring, 'prometheus-config')?.['prometheus.yml'];
  if (!promText) return [...problems, 'no prometheus-config ConfigMap with prometheus.yml'];
  const prom = parse(promText) as PrometheusConfig;

  // promtool on the rendered config, its rule_files pointed at the rendered rules. Debian's
  // Prometheus is built without Kubernetes service discovery (its promtool refuses the
  // `kubernetes_sd_configs` field), so that block alone is swapped for an empty static list:
  // the relabelling (RE2 regexes, labels) and every rule are still checked.
  const dir = await mkdtemp(path.join(tmpdir(), 'llmpt-k8s-prom-'));
  try {
    await mkdir(path.join(dir, 'rules'));
    for (const [name, text] of Object.entries(rules))
      await writeFile(path.join(dir, 'rules', name), text);
    const checkable = {
      ...prom,
      rule_files: [path.join(dir, 'rules', '*.yml')],
      scrape_configs: (prom.scrape_configs ?? []).map(({ kubernetes_sd_configs: sd, ...job }) =>
        sd ? { ...job, static_configs: [] } : job,
      ),
    };
    await writeFile(path.join(dir, 'prometheus.yml'), stringify(checkable));
    const promtool = await findOrInstall(SYSTEM_COMMANDS.promtool);
    try {
      await run(promtool, ['check', 'config', path.join(dir, 'prometheus.yml')]);
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      problems.push(`promtool check config: ${(e.stderr || e.stdout || String(err)).trim()}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  // The adapter's rules and the HPAs' Pods metrics.
  const adapterText = configMap(monitoring, 'llmpt-adapter-rules')?.['config.yaml'];
  const adapter = adapterText ? (parse(adapterText) as AdapterConfig) : { rules: [] };
  const apiMetrics = await readFile(path.join(repoRoot, 'apps/api/src/metrics.ts'), 'utf8');
  const relabelled = new Set(
    (prom.scrape_configs ?? []).flatMap((s) =>
      (s.relabel_configs ?? []).map((r) => r.target_label),
    ),
  );
  for (const hpa of production.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const metrics =
      (hpa.spec as { metrics?: { type: string; pods?: { metric: { name: string } } }[] }).metrics ??
      [];
    for (const m of metrics.filter((x) => x.type === 'Pods')) {
      const name = m.pods!.metric.name;
      const rule = adapter.rules.find(
        (r) => (r.name?.as ?? /^(\w+)/.exec(r.seriesQuery)?.[1]) === name,
      );
      if (!rule) {
        problems.push(
          `HorizontalPodAutoscaler/${hpa.metadata.name}: no prometheus-adapter rule serves ${name}`,
        );
        continue;
      }
      const series = /^(\w+)/.exec(rule.seriesQuery)?.[1] ?? '';
      if (!apiMetrics.includes(`name: '${series}'`))
        problems.push(
          `prometheus-adapter rule for ${name}: the api exports no metric ${series} (apps/api/src/metrics.ts)`,
        );
      for (const label of Object.keys(rule.resources?.overrides ?? {}))
        if (!relabelled.has(label))
          problems.push(
            `prometheus-adapter rule for ${name} maps label ${label}, which no scrape config sets`,
          );
    }
  }

  // Jobs the rules select exist: the pods' prometheus.io/job annotations and static jobs.
  const jobs = new Set<string>([
    ...podShapes(production).flatMap((p) =>
      p.annotations['prometheus.io/job'] ? [p.annotations['prometheus.io/job']] : [],
    ),
    ...(prom.scrape_configs ?? []).map((s) => s.job_name),
  ]);
  for (const [file, text] of Object.entries(rules))
    for (const m of text.matchAll(/\bjob="([^"]+)"/g))
      if (!jobs.has(m[1]!))
        problems.push(`${file}: selects job="${m[1]}", which nothing scrapes in Kubernetes`);
  return problems;
}
