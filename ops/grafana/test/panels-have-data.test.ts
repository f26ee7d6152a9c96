// Every panel of every dashboard shows data on the real cluster: the production topology with
// its Prometheus and exporters, users voting, reading and subscribing through nginx, and each
// panel's every query run against that Prometheus as Grafana would run it when the dashboard
// opens (default time range and variables, Grafana's step and $__rate_interval). A panel
// without data is named with its query.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { type Cluster, freeBasePort, startCluster } from '@llmpt/cluster';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { SCRAPE_INTERVAL } from '../src/config.ts';
import { allDashboards } from '../src/dashboards/index.ts';
import { PACKAGE_DIR } from '../src/generate.ts';
import {
  type QueryResult,
  panelData,
  resolveVariables,
  scrapeInterval,
} from '../src/panel-data.ts';
import { dashboard, q, timeseries } from '../src/panels.ts';
import { datasourceVariable, targetVariable } from '../src/variables.ts';
import { type Traffic, startTraffic } from './traffic.ts';

const run = promisify(execFile);

/** The api's per-voter limit in this cluster: low, so one eager voter meets it. */
const VOTE_RATE_LIMIT = 5;
/** Scrapes until a new series has two samples in every rate window, with room to spare. */
const DATA_DEADLINE_MS = 240_000;

let dataDir: string;
let cluster: Cluster | undefined;
let traffic: Traffic | undefined;
let prometheus: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-grafana-'));
  const t0 = Date.now();
  cluster = await startCluster({
    basePort: await freeBasePort(),
    apis: 2,
    workers: 2,
    dataDir,
    env: { VOTE_RATE_LIMIT: String(VOTE_RATE_LIMIT) },
    // The cluster's own scrape interval: the one the provisioned datasource is told about.
    monitoring: true,
  });
  console.log(`cluster with monitoring up in ${Date.now() - t0} ms`);
  prometheus = cluster.endpoints.prometheus!;
  traffic = await startTraffic(cluster.endpoints.edge, {
    voters: 24,
    subscribers: 4,
    voteRateLimit: VOTE_RATE_LIMIT,
  });
});

afterAll(async () => {
  await traffic?.stop();
  await cluster?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** The dashboards as Grafana loads them: the committed files. */
async function committed(): Promise<Dashboard[]> {
  return Promise.all(
    Object.keys(allDashboards()).map(
      async (name) =>
        JSON.parse(
          await readFile(path.join(PACKAGE_DIR, 'dashboards', `${name}.json`), 'utf8'),
        ) as Dashboard,
    ),
  );
}

const describeResult = (r: QueryResult) =>
  `${r.dashboard} / "${r.panel}" ${r.refId}: ${r.error ?? `${r.series} series, none with a value`}\n    ${r.query}`;

it('the provisioned scrape interval is the cluster Prometheus’s', async () => {
  expect(await scrapeInterval(prometheus)).toBe(SCRAPE_INTERVAL);
});

it('every query of every panel returns data', async () => {
  const dashboards = await committed();
  const t0 = Date.now();
  let last: { results: QueryResult[]; problems: string[] } = { results: [], problems: [] };
  let empty: QueryResult[] = [];
  // Poll: a series born a moment ago needs two scrapes inside its rate window before a rate()
  // has a value. Stop as soon as every query has data; fail naming what never had any.
  for (;;) {
    last = await panelData(prometheus, dashboards, {
      now: Date.now(),
      scrapeInterval: SCRAPE_INTERVAL,
    });
    empty = last.results.filter((r) => r.withData === 0);
    console.log(`${Math.round((Date.now() - t0) / 1_000)} s: ${empty.length} queries without data`);
    if ((empty.length === 0 && last.problems.length === 0) || Date.now() - t0 > DATA_DEADLINE_MS)
      break;
    await sleep(5_000);
  }
  const stats = traffic!.stats;
  console.log(
    `${last.results.length} queries of ${dashboards.length} dashboards: ${last.results.length - empty.length} with data after ${Math.round((Date.now() - t0) / 1_000)} s; traffic: ${JSON.stringify({ ...stats, errors: stats.errors.length })}`,
  );
  // The scenario happened: otherwise an empty panel would say nothing about the dashboards.
  expect(stats.errors.slice(0, 5)).toEqual([]);
  expect(stats.votesAccepted).toBeGreaterThan(50);
  expect(stats.appRateLimited).toBeGreaterThan(0);
  expect(stats.closedByServer).toContain(1008);
  expect(stats.rttReports).toBeGreaterThan(0);

  expect(last.problems).toEqual([]);
  expect(empty.map(describeResult)).toEqual([]);
  expect(last.results.length).toBeGreaterThan(100);
});

it('each process picked alone in $instance has its data (values regex-escaped as Grafana does)', async () => {
  const missing: string[] = [];
  let checked = 0;
  for (const d of await committed()) {
    const instance = d.templating?.list?.find((v) => v.name === 'instance');
    if (!instance) continue;
    const window = { fromMs: Date.now() - 3_600_000, toMs: Date.now() };
    const { vars } = await resolveVariables(prometheus, d, window);
    for (const one of vars.get('instance')!.options) {
      // Not every panel has data for every process (one ranker leader, one socket refused),
      // but a process whose values were mangled would match nothing at all. Polled, as above:
      // a rate over a process that was briefly idle can lack two scrapes in its window (seen
      // once on a slow machine, for one api).
      const started = Date.now();
      let problem: string | null;
      for (;;) {
        const { results } = await panelData(prometheus, [d], {
          now: Date.now(),
          scrapeInterval: SCRAPE_INTERVAL,
          pick: (name) => (name === 'instance' ? [one] : undefined),
        });
        const errors = results.filter((r) => r.error);
        problem =
          errors.length > 0
            ? errors.map((r) => r.error).join('; ')
            : results.some((r) => r.withData > 0)
              ? null
              : 'no data';
        // An error is the query itself, which waiting cannot fix.
        if (problem === null || errors.length > 0 || Date.now() - started > 60_000) break;
        await sleep(5_000);
      }
      checked++;
      if (problem !== null) missing.push(`${d.uid} instance=${one}: ${problem}`);
    }
  }
  expect(missing).toEqual([]);
  // apis on two dashboards, workers, Postgres servers, Redis nodes; one edge, one host.
  expect(checked).toBe(2 + 2 + 2 + 2 + 2 + 1 + 1);
});

it('a misspelt metric, or a variable with no values, is reported rather than passed', async () => {
  const broken = dashboard({
    uid: 'llmpt-test-broken',
    title: 'broken on purpose',
    description: 'one good query, one misspelt, a variable over a job nobody scrapes',
    variables: [datasourceVariable(), targetVariable('proc', 'process', 'no-such-job', 'x')],
    rows: [
      {
        title: 'row',
        panels: [
          timeseries({
            title: 'votes',
            description: 'A has a typo, B is right',
            unit: 'ops',
            queries: [
              q('sum(rate(votes_totl{job="api"}[$__rate_interval]))'),
              q('sum(rate(votes_total{job="api"}[$__rate_interval]))'),
            ],
            width: 24,
          }),
        ],
      },
    ],
  });
  const { results, problems } = await panelData(
    prometheus,
    [JSON.parse(JSON.stringify(broken)) as Dashboard],
    { now: Date.now(), scrapeInterval: SCRAPE_INTERVAL },
  );
  expect(problems).toEqual([
    'llmpt-test-broken: variable $proc (label_values(up{job="no-such-job"}, process)) has no values',
  ]);
  expect(results.map((r) => [r.refId, r.withData > 0])).toEqual([
    ['A', false],
    ['B', true],
  ]);
});

it('the panels command says the same of the cluster and exits 0', async () => {
  const { stdout, stderr } = await run(process.execPath, [
    '--import',
    'tsx',
    path.join(PACKAGE_DIR, 'src/panels-cli.ts'),
    '--prometheus',
    prometheus,
  ]);
  expect(stdout).not.toContain('NO DATA');
  expect(stderr).toMatch(/^(\d+) of \1 queries have data$/m);
});
