/**
 * How Grafana 11 turns a panel's query into a Prometheus range query: the `$__interval` the
 * browser computes, the step and `$__rate_interval` its Prometheus backend computes, and the
 * time range aligned to the step. A port of:
 * - `calculateInterval` / `roundInterval` (packages/grafana-data/src/datetime/rangeutil.ts),
 * - `calculatePrometheusInterval`, `calculateRateInterval`, `interpolateVariables`,
 *   `AlignTimeRange` (pkg/promlib/models/query.go) and `Calculate` (pkg/promlib/intervalv2).
 * @see https://grafana.com/docs/grafana/latest/datasources/prometheus/template-variables/
 */

/** Grafana's "nice" intervals: a raw interval (ms) rounded to the table below. */
export function roundInterval(ms: number): number {
  const table: Array<[below: number, rounded: number]> = [
    [10, 1],
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1_500, 1_000],
    [3_500, 2_000],
    [7_500, 5_000],
    [12_500, 10_000],
    [17_500, 15_000],
    [25_000, 20_000],
    [45_000, 30_000],
    [90_000, 60_000],
    [210_000, 120_000],
    [450_000, 300_000],
    [750_000, 600_000],
    [1_050_000, 900_000],
    [1_500_000, 1_200_000],
    [2_700_000, 1_800_000],
    [5_400_000, 3_600_000],
    [9_000_000, 7_200_000],
    [16_200_000, 10_800_000],
    [32_400_000, 21_600_000],
    [86_400_000, 43_200_000],
    [604_800_000, 86_400_000],
    [1_814_400_000, 604_800_000],
    [3_628_800_000, 2_592_000_000],
  ];
  for (const [below, rounded] of table) if (ms < below) return rounded;
  return 31_536_000_000;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_592_000_000,
  y: 31_536_000_000,
};

/** '15s', '1m', '500ms' → milliseconds (Grafana's `intervalToMs`; a bare number is seconds). */
export function intervalToMs(text: string): number {
  const bare = Number(text);
  if (text.trim() !== '' && Number.isFinite(bare)) return bare * 1_000;
  const match = /^(\d+(?:\.\d+)?)(ms|[smhdwMy])$/.exec(text.trim());
  if (!match) throw new Error(`not a Grafana interval: "${text}"`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** Go's gtime.FormatInterval: the largest whole unit (`$__interval`'s text). */
export function formatInterval(ms: number): string {
  const units: Array<[string, number]> = [
    ['y', UNIT_MS.y!],
    ['d', UNIT_MS.d!],
    ['h', UNIT_MS.h!],
    ['m', UNIT_MS.m!],
    ['s', UNIT_MS.s!],
  ];
  for (const [unit, size] of units) if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return ms >= 1 ? `${Math.floor(ms)}ms` : '1ms';
}

/** Go's time.Duration.String() for whole milliseconds: 1m0s, 20s, 1h2m3s, 500ms. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1_000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1_000;
  const seconds = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  if (h > 0) return `${h}h${m}m${seconds}`;
  if (m > 0) return `${m}m${seconds}`;
  return seconds;
}

/** What the browser sends with a panel's query. */
export interface PanelRequest {
  fromMs: number;
  toMs: number;
  /** The panel's maxDataPoints, or its width in pixels. */
  maxDataPoints: number;
  /** The panel's "Min interval", if set; else the datasource's timeInterval applies. */
  panelMinInterval?: string;
}

/** The numbers Grafana derives for one query. */
export interface QueryTiming {
  /** `$__interval` as the browser computed it. */
  intervalMs: number;
  /** The step of the range query (and `$__interval` as the backend substitutes it). */
  stepMs: number;
  rateIntervalMs: number;
  rangeMs: number;
  /** The query range aligned down to the step, as sent to Prometheus. */
  startMs: number;
  endMs: number;
}

/** Grafana's safe resolution: never more than 11,000 points per series. */
const SAFE_RESOLUTION = 11_000;

/**
 * @param scrapeInterval the datasource's `timeInterval` (Grafana's "Scrape interval"), '' for none
 */
export function queryTiming(req: PanelRequest, scrapeInterval: string): QueryTiming {
  const rangeMs = req.toMs - req.fromMs;
  // Browser: range / resolution, rounded, at least the panel's (or datasource's) min interval.
  const lowLimit = req.panelMinInterval ?? scrapeInterval;
  const lowLimitMs = lowLimit ? intervalToMs(lowLimit) : 1;
  const intervalMs = Math.max(roundInterval(rangeMs / req.maxDataPoints), lowLimitMs);
  // Backend: the browser's interval is the minimum (gtime.GetIntervalFrom prefers intervalMs).
  const raw = rangeMs / req.maxDataPoints;
  const calculated = raw < intervalMs ? intervalMs : roundInterval(raw);
  const safe = roundInterval(rangeMs / SAFE_RESOLUTION);
  const stepMs = Math.max(calculated, safe);
  // The query's own "interval" is empty here, so the scrape interval is the minimum step.
  const scrapeMs = intervalToMs(scrapeInterval || '15s');
  const rateIntervalMs = Math.max(intervalMs + scrapeMs, 4 * scrapeMs);
  return {
    intervalMs,
    stepMs,
    rateIntervalMs,
    rangeMs,
    startMs: Math.floor(req.fromMs / stepMs) * stepMs,
    endMs: Math.floor(req.toMs / stepMs) * stepMs,
  };
}

/** The backend's replacement of Grafana's built-in variables in a PromQL expression. */
export function interpolateBuiltins(expr: string, t: QueryTiming): string {
  const rangeS = Math.round(t.rangeMs / 1_000);
  const values: Record<string, string> = {
    __interval_ms: String(t.stepMs),
    __interval: formatInterval(t.stepMs),
    __range_ms: String(t.rangeMs),
    __range_s: String(rangeS),
    __range: `${rangeS}s`,
    __rate_interval_ms: String(t.rateIntervalMs),
    __rate_interval: goDuration(t.rateIntervalMs),
  };
  // Longest names first, both `$name` and `${name}` (as query.go does).
  return expr.replace(
    /\$\{(__(?:rate_interval|interval|range)(?:_ms|_s)?)\}|\$(__(?:rate_interval|interval|range)(?:_ms|_s)?)/g,
    (match, braced: string | undefined, bare: string | undefined) =>
      values[(braced ?? bare)!] ?? match,
  );
}
