/**
 * What can be checked of a dashboard without Grafana (which cannot be installed here): ids,
 * layout, datasource references, variables, queries and thresholds. Each problem is one line
 * naming the dashboard and panel.
 */
import {
  type Dashboard,
  type Panel,
  type RowPanel,
  type VariableModel,
  VariableType,
} from '@grafana/grafana-foundation-sdk/dashboard';

import { DATASOURCE } from './config.ts';
import { panelQueries, panelsOf, variablesUsed } from './panel-queries.ts';

const GRID_COLUMNS = 24;
/** Grafana's limit on a dashboard uid. */
const MAX_UID_LENGTH = 40;

type AnyPanel = Panel | RowPanel;

/** Every problem found in one dashboard (empty: valid). */
export function validateDashboard(d: Dashboard): string[] {
  const name = d.uid ?? d.title;
  const problems: string[] = [];
  const bad = (what: string) => problems.push(`${name}: ${what}`);

  if (!d.uid || d.uid.length > MAX_UID_LENGTH)
    bad(`uid "${d.uid}" must be 1–${MAX_UID_LENGTH} characters`);
  if (!d.title) bad('no title');

  const variables = d.templating?.list ?? [];
  const byName = new Map(variables.map((v) => [v.name, v]));
  if (byName.size !== variables.length) bad('two variables share a name');
  const dsVar = variables.find((v) => v.type === VariableType.Datasource);
  problems.push(...checkDatasourceVariable(name, dsVar));

  const all = (d.panels ?? []) as AnyPanel[];
  const ids = new Set<number>();
  const placed: Array<{ title: string; x: number; y: number; w: number; h: number }> = [];
  for (const p of [
    ...all,
    ...all.flatMap((p) => (p.type === 'row' ? (p as RowPanel).panels : [])),
  ]) {
    const title = `panel ${p.id} "${p.title ?? ''}"`;
    if (p.id === undefined) bad(`${title}: no id`);
    else if (ids.has(p.id)) bad(`${title}: id ${p.id} used twice`);
    else ids.add(p.id);
    const g = p.gridPos;
    if (!g) {
      bad(`${title}: no gridPos`);
      continue;
    }
    if (g.x < 0 || g.y < 0 || g.w < 1 || g.h < 1 || g.x + g.w > GRID_COLUMNS)
      bad(`${title}: gridPos x=${g.x} w=${g.w} does not fit ${GRID_COLUMNS} columns`);
    for (const o of placed)
      if (g.x < o.x + o.w && o.x < g.x + g.w && g.y < o.y + o.h && o.y < g.y + g.h)
        bad(`${title}: overlaps "${o.title}"`);
    placed.push({ title: p.title ?? '', ...g });
  }

  const dsOk = (uid: string | undefined) =>
    uid === DATASOURCE.uid || (uid === '${datasource}' && dsVar);
  for (const p of panelsOf(d)) {
    const title = `panel ${p.id} "${p.title ?? ''}"`;
    if (!p.title) bad(`${title}: no title`);
    if (!p.description) bad(`${title}: no description`);
    if (!dsOk(p.datasource?.uid)) bad(`${title}: datasource ${p.datasource?.uid} does not resolve`);
    const targets = (p.targets ?? []) as Array<{
      refId?: string;
      expr?: string;
      datasource?: { uid?: string };
    }>;
    if (targets.length === 0) bad(`${title}: no query`);
    const refIds = targets.map((t) => t.refId);
    if (new Set(refIds).size !== refIds.length || refIds.some((r) => !r))
      bad(`${title}: refIds ${refIds.join(',')} not unique`);
    for (const t of targets) {
      if (!t.expr?.trim()) bad(`${title} ${t.refId}: empty expression`);
      if (t.datasource && !dsOk(t.datasource.uid))
        bad(`${title} ${t.refId}: datasource ${t.datasource.uid} does not resolve`);
    }
    problems.push(...checkThresholds(`${name}: ${title}`, p));
  }

  for (const q of panelQueries(d))
    for (const v of variablesUsed(q.expr))
      if (!byName.has(v))
        bad(`panel ${q.panelId} "${q.panelTitle}" ${q.refId}: $${v} is not a variable`);
  for (const v of variables) {
    if (v.type !== VariableType.Query) continue;
    if (!dsOk(v.datasource?.uid)) bad(`variable ${v.name}: datasource does not resolve`);
    const query = typeof v.query === 'string' ? v.query : '';
    if (!/^label_values\(.+\)$/.test(query))
      bad(`variable ${v.name}: query "${query}" is not label_values(…)`);
    for (const used of variablesUsed(query))
      if (!byName.has(used)) bad(`variable ${v.name}: $${used} is not a variable`);
  }
  return problems;
}

function checkDatasourceVariable(name: string | undefined, v: VariableModel | undefined): string[] {
  if (!v) return [`${name}: no datasource variable`];
  const problems: string[] = [];
  if (v.query !== DATASOURCE.type)
    problems.push(
      `${name}: datasource variable lists ${JSON.stringify(v.query)}, not ${DATASOURCE.type}`,
    );
  if (v.current?.value !== DATASOURCE.uid)
    problems.push(
      `${name}: datasource variable defaults to ${String(v.current?.value)}, not the provisioned ${DATASOURCE.uid}`,
    );
  return problems;
}

/** Steps: a base (null) first, then strictly increasing values. */
function checkThresholds(where: string, p: Panel): string[] {
  const steps = p.fieldConfig?.defaults?.thresholds?.steps;
  if (!steps || steps.length === 0) return [`${where}: no thresholds`];
  const problems: string[] = [];
  if (steps[0]!.value !== null)
    problems.push(`${where}: first threshold step is not the base (null)`);
  for (let i = 2; i < steps.length; i++)
    if ((steps[i]!.value ?? -Infinity) <= (steps[i - 1]!.value ?? -Infinity))
      problems.push(`${where}: threshold steps not increasing`);
  return problems;
}

/** Threshold values of a panel (the base step excluded). */
export const thresholdValues = (p: Panel): number[] =>
  (p.fieldConfig?.defaults?.thresholds?.steps ?? []).flatMap((s) =>
    s.value === null ? [] : [s.value],
  );
