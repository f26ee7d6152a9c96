/**
 * The few facts every dashboard and the provisioning files share: the datasource they are
 * provisioned with, the scrape interval Grafana is told about, and the seed's expected figures.
 */

/** The Prometheus datasource as provisioned (`provisioning/datasources/prometheus.yml`). */
export const DATASOURCE = {
  name: 'Prometheus (llmpt)',
  type: 'prometheus',
  uid: 'llmpt-prometheus',
} as const;

/**
 * The environment variable Grafana reads the datasource URL from when it loads the
 * provisioning file (Grafana expands `$NAME` there with os.ExpandEnv: no default syntax, so the
 * process that starts Grafana sets it; see docs/operations.md, "Dashboards").
 */
export const PROMETHEUS_URL_ENV = 'PROMETHEUS_URL';

/**
 * Prometheus's scrape interval, as the datasource's `timeInterval`: Grafana's lower bound for
 * `$__interval` and the base of `$__rate_interval` (max(interval + scrape, 4 × scrape)), so a
 * `rate()` window always holds at least four samples. The cluster scrapes every 15 s.
 */
export const SCRAPE_INTERVAL = '15s';

/**
 * The seed's expected figures, drawn as thresholds on the panels that measure them (and alerted
 * on by ops/prometheus/rules).
 */
export const SEED = {
  /** API p95 latency under 500 ms. */
  latencyP95Seconds: 0.5,
  /** API p99 latency under 1 s. */
  latencyP99Seconds: 1,
  /** Fewer than 500 database connections. */
  dbConnections: 500,
  /** Cache hit rate above 80 %. */
  cacheHitRatio: 0.8,
} as const;

/** The dashboards' folder in Grafana, and the tag they all carry. */
export const FOLDER = 'LLM Popularity Tracker';
export const TAG = 'llmpt';
