/**
 * Every query of every panel of a dashboard, and the PromQL Grafana would send for it: template
 * variables substituted as the Prometheus datasource does (regex-escaped for multi-value
 * variables, a custom "All" value verbatim), then the built-in intervals as its backend does.
 */
import type {
  Dashboard,
  Panel,
  RowPanel,
  VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';

import {
  type PanelRequest,
  type QueryTiming,
  interpolateBuiltins,
  queryTiming,
} from './grafana-interval.ts';

export interface PanelQuery {
  dashboard: string;
  panelId: number;
  panelTitle: string;
  panelType: string;
  refId: string;
  /** As written in the dashboard, variables and all. */
  expr: string;
  /** Grid columns the panel spans (its width in pixels decides its resolution). */
  width: number;
  maxDataPoints?: number;
  /** The panel's "Min interval", if any. */
  minInterval?: string;
}

type AnyPanel = Panel | RowPanel;

const isRow = (p: AnyPanel): p is RowPanel => p.type === 'row';

/** The panels of a dashboard in order, those inside collapsed rows included; rows themselves not. */
export function panelsOf(d: Dashboard): Panel[] {
  const out: Panel[] = [];
  for (const p of (d.panels ?? []) as AnyPanel[]) {
    if (isRow(p)) out.push(...p.panels);
    else out.push(p);
  }
  return out;
}

export function panelQueries(d: Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const panel of panelsOf(d)) {
    for (const target of panel.targets ?? []) {
      const { expr, refId, hide } = target as { expr?: string; refId?: string; hide?: boolean };
      if (hide) continue;
      out.push({
        dashboard: d.uid ?? d.title ?? '',
        panelId: panel.id ?? 0,
        panelTitle: panel.title ?? '',
        panelType: panel.type,
        refId: refId ?? '',
        expr: expr ?? '',
        width: panel.gridPos?.w ?? 12,
        ...(panel.maxDataPoints ? { maxDataPoints: panel.maxDataPoints } : {}),
        ...(panel.interval ? { minInterval: panel.interval } : {}),
      });
    }
  }
  return out;
}

/** A dashboard variable and what is picked in it. */
export interface PickedVariable {
  model: VariableModel;
  /** Values picked; ['$__all'] for All. */
  picked: string[];
  /** Every option the variable offers (for All without a custom all value). */
  options: string[];
}

/** Grafana's variable syntaxes: $name, [[name]] / [[name:fmt]], ${name} / ${name:fmt}. */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** Names of the template variables an expression uses (built-ins, `__…`, excluded). */
export function variablesUsed(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(VARIABLE)) {
    const name = (m[1] ?? m[2] ?? m[4])!;
    if (!name.startsWith('__')) names.add(name);
  }
  return [...names];
}

/** Prometheus datasource: a value for a single-valued variable (quotes and backslashes). */
const regularEscape = (v: string) => v.replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");
/** … and for a multi-value one, escaped for a regex inside a PromQL string. */
const regexEscape = (v: string) =>
  v.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');

/** The text Grafana puts in place of a variable in a Prometheus query. */
export function variableText(v: PickedVariable): string {
  const model = v.model;
  if (v.picked.length === 1 && v.picked[0] === '$__all') {
    // A custom all value goes in verbatim; without one, All means every option.
    if (model.allValue) return model.allValue;
    return formatValues(v.options, model);
  }
  return formatValues(v.picked, model);
}

function formatValues(values: string[], model: VariableModel): string {
  if (!model.multi && !model.includeAll) return regularEscape(values[0] ?? '');
  const escaped = values.map(regexEscape);
  return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
}

/** Substitutes template variables (not built-ins), as Grafana's template service does. */
export function interpolateVariables(expr: string, vars: Map<string, PickedVariable>): string {
  return expr.replace(VARIABLE, (match, a?: string, b?: string, _fmt?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    if (name.startsWith('__')) return match;
    const v = vars.get(name);
    if (!v) throw new Error(`variable $${name} is not defined`);
    return variableText(v);
  });
}

/** A query as Grafana sends it to Prometheus's /api/v1/query_range. */
export interface RangeQuery {
  query: string;
  timing: QueryTiming;
}

/** Pixels of a 24-column dashboard on a 1920-px screen, minus Grafana's side menu and padding. */
const DASHBOARD_WIDTH_PX = 1_840;

export function rangeQuery(
  q: PanelQuery,
  vars: Map<string, PickedVariable>,
  window: { fromMs: number; toMs: number },
  scrapeInterval: string,
): RangeQuery {
  const req: PanelRequest = {
    ...window,
    maxDataPoints: q.maxDataPoints ?? Math.round((q.width / 24) * DASHBOARD_WIDTH_PX),
    ...(q.minInterval ? { panelMinInterval: q.minInterval } : {}),
  };
  const timing = queryTiming(req, scrapeInterval);
  return { query: interpolateBuiltins(interpolateVariables(q.expr, vars), timing), timing };
}
