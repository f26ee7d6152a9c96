/**
 * Runs every query of every panel against a real Prometheus as Grafana would when the
 * dashboard is opened with its default time range and variables: the variables' own queries
 * first (label_values → /api/v1/label/…/values), then each panel query as a range query
 * (/api/v1/query_range) with Grafana's step, `$__interval` and `$__rate_interval`. A query
 * "has data" when some series has a finite sample: what Grafana would draw instead of "No data".
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { VariableType } from '@grafana/grafana-foundation-sdk/dashboard';

import { DATASOURCE } from './config.ts';
import {
  type PickedVariable,
  type RangeQuery,
  interpolateVariables,
  panelQueries,
  rangeQuery,
} from './panel-queries.ts';

type PromResponse<T> =
  { status: 'success'; data: T } | { status: 'error'; errorType: string; error: string };

/**
 * One Prometheus HTTP API call. Queries go as POST forms (as Grafana sends them: long
 * expressions fit); the label endpoints only answer GET.
 */
async function prometheus<T>(
  base: string,
  path: string,
  params: Record<string, string>,
  method: 'GET' | 'POST' = 'POST',
): Promise<T> {
  const form = new URLSearchParams(params);
  const res = await fetch(
    method === 'GET' ? `${base}${path}?${form.toString()}` : `${base}${path}`,
    method === 'GET'
      ? {}
      : { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form },
  );
  const text = await res.text();
  let body: PromResponse<T>;
  try {
    body = JSON.parse(text) as PromResponse<T>;
  } catch {
    throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
  }
  if (body.status !== 'success')
    throw new Error(`${path} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
  return body.data;
}

/** Prometheus's scrape interval (global), as its running configuration says. */
export async function scrapeInterval(base: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/status/config`);
  const { data } = (await res.json()) as { data: { yaml: string } };
  const match = /^\s+scrape_interval:\s*(\S+)\s*$/m.exec(data.yaml);
  if (!match) throw new Error('no global scrape_interval in the running configuration');
  return match[1]!;
}

/** `label_values(selector, label)` / `label_values(label)`: Grafana's variable query. */
export function parseLabelValues(query: string): { match?: string; label: string } {
  const m = /^label_values\(\s*(?:(.+?)\s*,\s*)?(\w+)\s*\)$/.exec(query.trim());
  if (!m) throw new Error(`not a label_values() query: "${query}"`);
  return m[1] ? { match: m[1], label: m[2]! } : { label: m[2]! };
}

/** Values to pick in a variable instead of its default (undefined: the default). */
export type Pick = (variable: string, options: string[]) => string[] | undefined;

export interface Window {
  fromMs: number;
  toMs: number;
}

/**
 * The dashboard's variables with their default picks, their options read from Prometheus as
 * Grafana reads them. A query variable without any value is a problem of its own.
 */
export async function resolveVariables(
  base: string,
  d: Dashboard,
  window: Window,
  pick?: Pick,
): Promise<{ vars: Map<string, PickedVariable>; problems: string[] }> {
  const vars = new Map<string, PickedVariable>();
  const problems: string[] = [];
  for (const model of d.templating?.list ?? []) {
    if (model.type === VariableType.Datasource) {
      vars.set(model.name, { model, picked: [DATASOURCE.uid], options: [DATASOURCE.uid] });
      continue;
    }
    if (model.type !== VariableType.Query || typeof model.query !== 'string')
      throw new Error(`${d.uid}: variable ${model.name} of type ${model.type} is not handled here`);
    const { match, label } = parseLabelValues(interpolateVariables(model.query, vars));
    const options = await prometheus<string[]>(
      base,
      `/api/v1/label/${label}/values`,
      {
        start: String(window.fromMs / 1_000),
        end: String(window.toMs / 1_000),
        ...(match ? { 'match[]': match } : {}),
      },
      'GET',
    );
    if (options.length === 0)
      problems.push(`${d.uid}: variable $${model.name} (${model.query}) has no values`);
    const current = model.current?.value;
    const picked =
      pick?.(model.name, options) ?? (Array.isArray(current) ? current : [current ?? '$__all']);
    vars.set(model.name, { model, picked, options });
  }
  return { vars, problems };
}

/** The outcome of one panel query. */
export interface QueryResult {
  dashboard: string;
  panel: string;
  refId: string;
  query: string;
  series: number;
  /** Series with at least one finite sample. */
  withData: number;
  error?: string;
}

type Matrix = {
  resultType: 'matrix';
  result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;
};

export async function runQuery(
  base: string,
  rq: RangeQuery,
): Promise<{ series: number; withData: number }> {
  const data = await prometheus<Matrix>(base, '/api/v1/query_range', {
    query: rq.query,
    start: String(rq.timing.startMs / 1_000),
    end: String(rq.timing.endMs / 1_000),
    step: String(rq.timing.stepMs / 1_000),
  });
  const withData = data.result.filter((s) =>
    s.values.some(([, v]) => Number.isFinite(Number(v))),
  ).length;
  return { series: data.result.length, withData };
}

/** Every panel query of the dashboards against the Prometheus at `base`. */
export async function panelData(
  base: string,
  dashboards: Dashboard[],
  opts: { now: number; scrapeInterval: string; pick?: Pick },
): Promise<{ results: QueryResult[]; problems: string[] }> {
  const results: QueryResult[] = [];
  const problems: string[] = [];
  for (const d of dashboards) {
    const window = { fromMs: opts.now - relativeMs(d.time?.from ?? 'now-6h'), toMs: opts.now };
    const { vars, problems: p } = await resolveVariables(base, d, window, opts.pick);
    problems.push(...p);
    for (const q of panelQueries(d)) {
      const rq = rangeQuery(q, vars, window, opts.scrapeInterval);
      const base_ = {
        dashboard: q.dashboard,
        panel: q.panelTitle,
        refId: q.refId,
        query: rq.query,
      };
      try {
        results.push({ ...base_, ...(await runQuery(base, rq)) });
      } catch (e) {
        results.push({
          ...base_,
          series: 0,
          withData: 0,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
  }
  return { results, problems };
}

/** 'now-1h' → its length in ms (dashboards here use relative ranges ending now). */
function relativeMs(from: string): number {
  const m = /^now-(\d+)([smhd])$/.exec(from);
  if (!m) throw new Error(`time range from "${from}" is not now-N[smhd]`);
  return (
    Number(m[1]) *
    { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd']
  );
}
