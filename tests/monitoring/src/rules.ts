/**
 * The project's Prometheus rules and their promtool unit tests, read as data: which alert
 * (name and severity) a test shows firing, and which it shows not firing.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { parse } from 'yaml';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const RULES_DIR = path.join(REPO, 'ops/prometheus/rules');
export const RULE_TESTS_DIR = path.join(REPO, 'ops/prometheus/tests');
export const SEVERITIES = ['critical', 'warning'] as const;

/** The .yml files of a folder, as absolute paths, sorted. */
export const ymlFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(dir, f));

export interface Rule {
  file: string;
  group: string;
  /** An alerting rule's name, or a recording rule's record. */
  name: string;
  kind: 'alert' | 'record';
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface RuleFile {
  groups: Array<{
    name: string;
    rules: Array<{
      alert?: string;
      record?: string;
      expr: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }>;
  }>;
}

export function readRules(files: string[]): Rule[] {
  return files.flatMap((file) => {
    const doc = parse(readFileSync(file, 'utf8')) as RuleFile;
    return doc.groups.flatMap((g) =>
      g.rules.map((r): Rule => ({
        file,
        group: g.name,
        name: r.alert ?? r.record ?? '',
        kind: r.alert ? 'alert' : 'record',
        expr: r.expr,
        labels: r.labels ?? {},
        annotations: r.annotations ?? {},
      })),
    );
  });
}

/** One `alert_rule_test` case: an alert name at a time, and the severities expected to fire. */
export interface AlertCase {
  file: string;
  alertname: string;
  evalTime: string;
  firing: Array<string | undefined>;
}

interface TestFile {
  tests?: Array<{
    alert_rule_test?: Array<{
      alertname: string;
      eval_time: string;
      exp_alerts?: Array<{ exp_labels?: Record<string, string> }> | null;
    }>;
    promql_expr_test?: Array<{ expr: string; exp_samples?: unknown[] | null }>;
  }>;
}

export function readTests(files: string[]): { alerts: AlertCase[]; exprs: string[] } {
  const alerts: AlertCase[] = [];
  const exprs: string[] = [];
  for (const file of files) {
    const doc = parse(readFileSync(file, 'utf8')) as TestFile;
    for (const t of doc.tests ?? []) {
      for (const c of t.alert_rule_test ?? [])
        alerts.push({
          file,
          alertname: c.alertname,
          evalTime: c.eval_time,
          firing: (c.exp_alerts ?? []).map((a) => a.exp_labels?.severity),
        });
      for (const c of t.promql_expr_test ?? []) if (c.exp_samples?.length) exprs.push(c.expr);
    }
  }
  return { alerts, exprs };
}

/**
 * What the tests leave uncovered: an alerting rule (name + severity) needs a case where it
 * fires and a case of the same alert name where it does not; a recording rule needs a
 * promql_expr_test that reads it and expects samples. Empty when everything is covered.
 */
export function uncovered(rules: Rule[], tests: ReturnType<typeof readTests>): string[] {
  const missing: string[] = [];
  for (const rule of rules) {
    const where = `${path.basename(rule.file)}: ${rule.name}`;
    if (rule.kind === 'record') {
      if (!tests.exprs.some((e) => new RegExp(`\\b${rule.name}\\b`).test(e)))
        missing.push(`${where}: no promql_expr_test reads this recording rule`);
      continue;
    }
    const severity = rule.labels.severity;
    const cases = tests.alerts.filter((c) => c.alertname === rule.name);
    if (!cases.some((c) => c.firing.includes(severity)))
      missing.push(`${where} (${severity}): no test case where it fires`);
    if (!cases.some((c) => !c.firing.includes(severity)))
      missing.push(`${where} (${severity}): no test case where it does not fire`);
  }
  return missing;
}
