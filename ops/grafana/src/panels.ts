/**
 * The building blocks of every dashboard, on Grafana's own typed builders
 * (@grafana/grafana-foundation-sdk): a Prometheus query, the three panel kinds used here, the
 * threshold sets, and the dashboard itself with its rows. Dashboards are data: each file in
 * `dashboards/` lists rows of panels and nothing else.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import {
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  type DataSourceRef,
  type Panel,
  RowBuilder,
  type Threshold,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as GaugeBuilder } from '@grafana/grafana-foundation-sdk/gauge';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

import { SEED, TAG } from './config.ts';

/** Every panel and query reads the dashboard's `datasource` variable (see variables.ts). */
export const DS: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** A PromQL expression and its legend template (`{{label}}`; `__auto` lets Grafana choose). */
export interface Query {
  expr: string;
  legend: string;
}

export const q = (expr: string, legend = '__auto'): Query => ({ expr, legend });

/** Threshold steps, the first with value null (the base colour). */
export type Steps = Threshold[];

/** Colours of the threshold sets below. */
const GOOD = 'green';
const WARN = 'orange';
const BAD = 'red';
const NEUTRAL = 'blue';

/** Threshold sets: the seed's figures come from SEED only. */
export const steps = {
  /** Nothing to judge: one neutral colour. */
  none: (): Steps => [{ value: null, color: NEUTRAL }],
  /** Fine below `limit`, red from it. */
  below: (limit: number): Steps => [
    { value: null, color: GOOD },
    { value: limit, color: BAD },
  ],
  /** Red below `limit`, fine from it. */
  atLeast: (limit: number): Steps => [
    { value: null, color: BAD },
    { value: limit, color: GOOD },
  ],
  /** Fine at exactly `n` (e.g. one ranker leader), red on either side. */
  exactly: (n: number): Steps => [
    { value: null, color: BAD },
    { value: n, color: GOOD },
    { value: n + 1, color: BAD },
  ],
  /** The seed's latency figures: orange from the p95 bound (500 ms), red from the p99 bound (1 s). */
  latency: (): Steps => [
    { value: null, color: GOOD },
    { value: SEED.latencyP95Seconds, color: WARN },
    { value: SEED.latencyP99Seconds, color: BAD },
  ],
  /** The seed's database-connection bound (500). */
  dbConnections: (): Steps => steps.below(SEED.dbConnections),
  /** The seed's cache hit rate (above 80 %), as a ratio. */
  cacheHit: (): Steps => steps.atLeast(SEED.cacheHitRatio),
};

/** What every panel kind takes. */
export interface PanelOptions {
  title: string;
  /** Shown as the panel's (i) tooltip: what it measures and what to do about it. */
  description: string;
  /** Grafana unit id: s, ops, reqps, bytes, Bps, percentunit, short, … */
  unit: string;
  queries: Query[];
  /** Grid columns (of 24). */
  width: number;
  /** Grid rows; default 8 (time series) or 4 (stat, gauge). */
  height?: number;
  /** Threshold steps; time series draw them as dashed lines. */
  thresholds?: Steps;
  min?: number;
  max?: number;
}

export interface TimeseriesOptions extends PanelOptions {
  stacked?: boolean;
}

const thresholdsOf = (s: Steps) =>
  new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(s);

const targetsOf = (queries: Query[]) =>
  queries.map((query, i) =>
    new DataqueryBuilder()
      .expr(query.expr)
      .legendFormat(query.legend)
      .range()
      .refId(String.fromCharCode(65 + i))
      .datasource(DS),
  );

/** Title, description, datasource, queries, unit, size and bounds: the same on every kind. */
function applyCommon<
  B extends {
    title(t: string): B;
    description(d: string): B;
    datasource(d: DataSourceRef): B;
    targets(t: ReturnType<typeof targetsOf>): B;
    unit(u: string): B;
    span(w: number): B;
    height(h: number): B;
    thresholds(t: ThresholdsConfigBuilder): B;
    min(m: number): B;
    max(m: number): B;
  },
>(builder: B, o: PanelOptions, defaultHeight: number): B {
  let b = builder
    .title(o.title)
    .description(o.description)
    .datasource(DS)
    .targets(targetsOf(o.queries))
    .unit(o.unit)
    .span(o.width)
    .height(o.height ?? defaultHeight)
    .thresholds(thresholdsOf(o.thresholds ?? steps.none()));
  if (o.min !== undefined) b = b.min(o.min);
  if (o.max !== undefined) b = b.max(o.max);
  return b;
}

export function timeseries(o: TimeseriesOptions): TimeseriesBuilder {
  const b = applyCommon(new TimeseriesBuilder(), o, 8)
    .lineWidth(1)
    .fillOpacity(o.stacked ? 30 : 10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .showLegend(true),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    )
    .thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(
        o.thresholds ? common.GraphThresholdsStyleMode.Dashed : common.GraphThresholdsStyleMode.Off,
      ),
    );
  return o.stacked
    ? b.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
    : b;
}

/** The last value, coloured by the thresholds, with a sparkline. */
export function stat(o: PanelOptions): StatBuilder {
  return applyCommon(new StatBuilder(), o, 4)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value);
}

/** A gauge between min and max (default 0 … 1 for ratios). */
export function gauge(o: PanelOptions): GaugeBuilder {
  return applyCommon(new GaugeBuilder(), { min: 0, max: 1, ...o }, 6)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .showThresholdMarkers(true);
}

export interface Row {
  title: string;
  panels: Array<Builder<Panel>>;
}

export interface DashboardOptions {
  uid: string;
  title: string;
  description: string;
  variables: Array<Builder<VariableModel>>;
  rows: Row[];
}

/**
 * A dashboard: rows in order, their panels laid out left to right by the SDK (widths of a row
 * add up to 24), ids numbered 1… in reading order so they are stable across generations.
 */
export function dashboard(o: DashboardOptions): Dashboard {
  let b = new DashboardBuilder(o.title)
    .uid(o.uid)
    .description(o.description)
    .tags([TAG])
    .readonly()
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    .variables(o.variables);
  for (const row of o.rows) {
    b = b.withRow(new RowBuilder(row.title));
    for (const panel of row.panels) b = b.withPanel(panel);
  }
  const built = b.build();
  let id = 0;
  for (const panel of built.panels ?? []) {
    panel.id = ++id;
    if ('panels' in panel) for (const inner of panel.panels) inner.id = ++id;
  }
  return built;
}
