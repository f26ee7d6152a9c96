// What CI runs on the monitoring configuration, with Debian's promtool and amtool: every
// Prometheus config the project ships passes `promtool check config`, every rule file
// `check rules`, every rule unit test `test rules`, Alertmanager's config `amtool check-config`;
// and every rule has a unit test where it fires and one where it does not.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { clusterScrapeJobs, portsOf, renderPrometheusConfig } from '@llmpt/cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

import { composePrometheusConfig } from '../../../ops/docker/prometheus-config.ts';
import { renderAlertmanagerConfig, webhooksFrom } from '../../../ops/alertmanager/render.ts';
import {
  REPO,
  RULES_DIR,
  RULE_TESTS_DIR,
  SEVERITIES,
  readRules,
  readTests,
  uncovered,
  ymlFiles,
} from '../src/rules.ts';
import { tool } from '../src/tools.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'llmpt-monitoring-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const ruleFiles = ymlFiles(RULES_DIR);
const testFiles = ymlFiles(RULE_TESTS_DIR);

/**
 * Every Prometheus configuration in the repository besides the cluster's (compose, Kubernetes…),
 * found by what it is rather than its name: a YAML document with `scrape_configs`, or a
 * ConfigMap carrying one. As [where, text].
 */
function shippedPrometheusConfigs(): Array<[string, string]> {
  const files = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '*.yml', '*.yaml'],
    { cwd: REPO, encoding: 'utf8' },
  )
    .split('\n')
    .filter((f) => f && existsSync(path.join(REPO, f)));
  const found: Array<[string, string]> = [];
  const isConfig = (doc: unknown) =>
    typeof doc === 'object' && doc !== null && 'scrape_configs' in doc;
  for (const file of files) {
    const text = readFileSync(path.join(REPO, file), 'utf8');
    if (!text.includes('scrape_configs')) continue;
    for (const doc of parseAllDocuments(text).map((d) => d.toJS() as unknown)) {
      if (isConfig(doc)) found.push([file, text]);
      const data = (doc as { kind?: string; data?: Record<string, string> } | null)?.data;
      if ((doc as { kind?: string } | null)?.kind !== 'ConfigMap' || !data) continue;
      for (const [key, value] of Object.entries(data))
        if (isConfig(parse(value))) found.push([`${file} (ConfigMap data ${key})`, value]);
    }
  }
  return found;
}

/**
 * Debian builds Prometheus without Kubernetes service discovery, so its promtool refuses
 * `kubernetes_sd_configs`. Those are replaced by an empty static_configs, and everything else
 * (relabelling and its regexes, rule files, alerting) is still checked.
 */
function withoutKubernetesSd(text: string): string {
  const config = parse(text) as { scrape_configs?: Array<Record<string, unknown>> };
  for (const job of config.scrape_configs ?? []) {
    if (!('kubernetes_sd_configs' in job)) continue;
    delete job.kubernetes_sd_configs;
    job.static_configs = [{ targets: [] }];
  }
  return JSON.stringify(config);
}

describe('Prometheus', () => {
  it('the cluster’s scrape config, rendered for 3 apis and 2 workers, passes promtool check config', async () => {
    const ports = portsOf({ basePort: 7100, apis: 3, workers: 2 });
    const file = path.join(tmp, 'prometheus.yml');
    const config = renderPrometheusConfig({
      jobs: clusterScrapeJobs(ports),
      ruleFiles: [path.join(RULES_DIR, '*.yml')],
      alertmanagers: ['127.0.0.1:7196'],
    });
    await writeFile(file, JSON.stringify(config));
    const run = await tool('promtool', ['check', 'config', file]);
    expect(run.output).toContain('SUCCESS');
    expect(run.code).toBe(0);
    // Every api and worker process is its own target, never nginx.
    const targets = (
      config.scrape_configs as Array<{
        job_name: string;
        static_configs: Array<{ targets: string[] }>;
      }>
    )
      .filter((j) => j.job_name === 'api' || j.job_name === 'worker')
      .flatMap((j) => j.static_configs.flatMap((s) => s.targets));
    expect(targets).toEqual([
      ...ports.apiMetrics.map((p) => `127.0.0.1:${p}`),
      ...ports.workerMetrics.map((p) => `127.0.0.1:${p}`),
    ]);
  });

  it.each(['4', '8'])(
    'the compose stack’s config (ops/docker, rendered at its start) with %s apis passes promtool check config',
    async (replicas) => {
      const file = path.join(tmp, `compose-${replicas}.yml`);
      const config = composePrometheusConfig({ API_REPLICAS: replicas }, RULES_DIR);
      await writeFile(file, JSON.stringify(config));
      const run = await tool('promtool', ['check', 'config', file]);
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain('SUCCESS');
    },
  );

  it.each(shippedPrometheusConfigs())('%s passes promtool check config', async (where, text) => {
    // --syntax-only: its rule files and secrets are paths inside its container or pod.
    const file = path.join(tmp, `${where.replace(/\W+/g, '_')}.yml`);
    await writeFile(file, withoutKubernetesSd(text));
    const run = await tool('promtool', ['check', 'config', '--syntax-only', file]);
    expect(run.output).toContain('SUCCESS');
    expect(run.code).toBe(0);
  });

  it('every rule file passes promtool check rules', async () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    const run = await tool('promtool', ['check', 'rules', ...ruleFiles]);
    expect(run.code, run.output).toBe(0);
  });

  it('every rule unit test passes promtool test rules', async () => {
    expect(testFiles.length).toBeGreaterThan(0);
    const run = await tool('promtool', ['test', 'rules', ...testFiles]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).not.toContain('FAILED');
  });

  it('a broken expectation makes promtool test rules fail (the check can fail)', async () => {
    const file = path.join(tmp, 'broken.test.yml');
    const text = (await readFile(path.join(RULE_TESTS_DIR, 'infrastructure.test.yml'), 'utf8'))
      .replace('../rules/', `${RULES_DIR}/`)
      .replace(/severity: critical/, 'severity: warning');
    await writeFile(file, text);
    const run = await tool('promtool', ['test', 'rules', file]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('FAILED');
  });

  it('every alert has a unit test where it fires and one where it does not', () => {
    const rules = readRules(ruleFiles);
    expect(uncovered(rules, readTests(testFiles))).toEqual([]);
  });

  it('the coverage check finds an alert tested only firing, or not at all', () => {
    const rules = readRules(ruleFiles.filter((f) => f.endsWith('votes.yml')));
    const tests = readTests(testFiles.filter((f) => f.endsWith('votes.test.yml')));
    const onlyFiring = {
      exprs: tests.exprs,
      alerts: tests.alerts.filter((c) => c.alertname !== 'NoRankerLeader' || c.firing.length > 0),
    };
    expect(uncovered(rules, onlyFiring)).toEqual([
      'votes.yml: NoRankerLeader (critical): no test case where it does not fire',
    ]);
    const none = { exprs: [], alerts: tests.alerts.filter((c) => c.alertname !== 'FlushFailing') };
    expect(uncovered(rules, none)).toEqual([
      'votes.yml: FlushFailing (critical): no test case where it fires',
      'votes.yml: FlushFailing (critical): no test case where it does not fire',
    ]);
  });

  it('every alert has a severity Alertmanager routes, a summary, and a runbook section that exists', async () => {
    const operations = await readFile(path.join(REPO, 'docs/operations.md'), 'utf8');
    const anchors = new Set(
      [...operations.matchAll(/^#+ (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^\p{L}\p{N} -]/gu, '')
          .replaceAll(' ', '-'),
      ),
    );
    const problems: string[] = [];
    for (const rule of readRules(ruleFiles).filter((r) => r.kind === 'alert')) {
      const where = `${path.basename(rule.file)}: ${rule.name}`;
      if (!SEVERITIES.includes(rule.labels.severity as (typeof SEVERITIES)[number]))
        problems.push(`${where}: severity "${rule.labels.severity}"`);
      if (!rule.annotations.summary) problems.push(`${where}: no summary`);
      const runbook = /docs\/operations\.md#([\w-]+)/.exec(rule.annotations.description ?? '');
      if (!runbook) problems.push(`${where}: no runbook (docs/operations.md#…) in its description`);
      else if (!anchors.has(runbook[1]!)) problems.push(`${where}: no section #${runbook[1]}`);
    }
    expect(problems).toEqual([]);
  });
});

describe('Alertmanager', () => {
  it('the shipped routing passes amtool check-config, and so does it rendered with webhooks', async () => {
    const shipped = await tool('amtool', [
      'check-config',
      path.join(REPO, 'ops/alertmanager/alertmanager.yml'),
    ]);
    expect(shipped.code, shipped.output).toBe(0);
    const file = path.join(tmp, 'alertmanager.yml');
    await writeFile(
      file,
      renderAlertmanagerConfig({
        webhooks: webhooksFrom(['critical=https://pager.example/hook'], {
          ALERTMANAGER_WEBHOOK_WARNING: 'http://127.0.0.1:9000/a, http://127.0.0.1:9000/b',
        }),
      }),
    );
    const rendered = await tool('amtool', ['check-config', file]);
    expect(rendered.code, rendered.output).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('url: https://pager.example/hook');
    expect(text).toContain('url: http://127.0.0.1:9000/b');
  });

  it('routes each severity to its receiver', async () => {
    const file = path.join(tmp, 'routes.yml');
    await writeFile(file, renderAlertmanagerConfig());
    for (const severity of SEVERITIES) {
      const run = await tool('amtool', [
        'config',
        'routes',
        'test',
        `--config.file=${file}`,
        `severity=${severity}`,
        'alertname=Any',
      ]);
      // (amtool warns that --config.file overrides --alertmanager.url: not our business.)
      expect(run.output.trim().split('\n')[0]).toBe(severity);
    }
  });

  it('refuses a bad webhook or severity, naming it', () => {
    expect(() => webhooksFrom(['page=http://x'], {})).toThrow(
      /severity must be one of critical, warning/,
    );
    expect(() => webhooksFrom(['critical=ftp://x'], {})).toThrow(/only http and https/);
    expect(() => webhooksFrom(['critical'], {})).toThrow(/expected SEVERITY=URL/);
    expect(() => webhooksFrom([], { ALERTMANAGER_WEBHOOK_CRITICAL: 'not a url' })).toThrow(
      /ALERTMANAGER_WEBHOOK_CRITICAL|not a URL/,
    );
  });
});
