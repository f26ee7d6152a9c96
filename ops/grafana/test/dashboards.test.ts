// The generated files, checked offline (Grafana itself cannot be installed here): the committed
// files are the generator's output, every dashboard is well-formed for Grafana (ids, layout,
// datasource references, variables, thresholds), the seed's figures are drawn, and every query
// Grafana would send is valid PromQL for promtool.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { type Dashboard, VariableType } from '@grafana/grafana-foundation-sdk/dashboard';
import { SYSTEM_COMMANDS, findOrInstall } from '@llmpt/devstack';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { DATASOURCE, PROMETHEUS_URL_ENV, SCRAPE_INTERVAL, SEED } from '../src/config.ts';
import { allDashboards } from '../src/dashboards/index.ts';
import {
  DATASOURCE_FILE,
  PACKAGE_DIR,
  PROVIDER_FILE,
  differences,
  generatedFiles,
} from '../src/generate.ts';
import { type PickedVariable, panelQueries, panelsOf, rangeQuery } from '../src/panel-queries.ts';
import { DASHBOARDS_MOUNT } from '../src/provisioning.ts';
import { thresholdValues, validateDashboard } from '../src/validate.ts';

const run = promisify(execFile);

/** The dashboards as Grafana would read them: the committed JSON files. */
async function committed(): Promise<Record<string, Dashboard>> {
  const out: Record<string, Dashboard> = {};
  for (const name of Object.keys(allDashboards()))
    out[name] = JSON.parse(
      await readFile(path.join(PACKAGE_DIR, 'dashboards', `${name}.json`), 'utf8'),
    ) as Dashboard;
  return out;
}

describe('generated files', () => {
  it('are committed exactly as the generator writes them', async () => {
    expect(await differences(await generatedFiles())).toEqual([]);
  });

  it('a hand edit or a stray dashboard is reported', async () => {
    const files = await generatedFiles();
    const edited = new Map(files);
    edited.set(
      'dashboards/host.json',
      files.get('dashboards/host.json')!.replace('CPU busy', 'CPU'),
    );
    edited.delete('dashboards/nginx.json');
    expect(await differences(edited)).toEqual([
      "dashboards/host.json: differs from the generator's output",
      'dashboards/nginx.json: no generator makes it (remove it)',
    ]);
  });

  it('provision the Prometheus datasource the dashboards default to, and the file provider', async () => {
    const ds = parse(await readFile(path.join(PACKAGE_DIR, DATASOURCE_FILE), 'utf8')) as {
      datasources: Array<Record<string, unknown>>;
    };
    expect(ds.datasources).toHaveLength(1);
    expect(ds.datasources[0]).toMatchObject({
      uid: DATASOURCE.uid,
      type: 'prometheus',
      url: `\${${PROMETHEUS_URL_ENV}}`,
      jsonData: { timeInterval: SCRAPE_INTERVAL },
    });
    const provider = parse(await readFile(path.join(PACKAGE_DIR, PROVIDER_FILE), 'utf8')) as {
      providers: Array<{ type: string; options: { path: string } }>;
    };
    expect(provider.providers).toHaveLength(1);
    expect(provider.providers[0]).toMatchObject({
      type: 'file',
      options: { path: DASHBOARDS_MOUNT },
    });
  });
});

describe('dashboards', () => {
  it('cover the vote path, live fan-out, flush, Postgres, Redis, nginx and the host, uniquely', async () => {
    const dashboards = Object.values(await committed());
    expect(dashboards.map((d) => d.uid)).toEqual([
      'llmpt-vote-path',
      'llmpt-live',
      'llmpt-flush',
      'llmpt-postgres',
      'llmpt-redis',
      'llmpt-nginx',
      'llmpt-host',
    ]);
    for (const d of dashboards) expect(panelsOf(d).length).toBeGreaterThan(5);
  });

  it('are well-formed: ids, grid, datasource references, variables, thresholds', async () => {
    for (const [name, d] of Object.entries(await committed()))
      expect(validateDashboard(d), name).toEqual([]);
  });

  it('the validator catches what Grafana would reject or render wrong', () => {
    const d = JSON.parse(JSON.stringify(allDashboards().host)) as Dashboard;
    const [, first, second] = d.panels as Array<{
      id: number;
      gridPos: { x: number; w: number; y: number };
      datasource?: { uid?: string };
      targets?: Array<{ expr: string }>;
    }>;
    second!.id = first!.id;
    second!.gridPos = { ...first!.gridPos };
    first!.datasource = { uid: 'nowhere' };
    first!.targets![0]!.expr = 'up{instance="$host"}';
    const third = (d.panels as Array<{ gridPos: { x: number; w: number } }>)[3]!;
    third.gridPos.x = 20;
    const problems = validateDashboard(d).join('\n');
    expect(problems).toContain('id 2 used twice');
    expect(problems).toContain('overlaps "CPU busy"');
    expect(problems).toContain('datasource nowhere does not resolve');
    expect(problems).toContain('$host is not a variable');
    expect(problems).toContain('does not fit 24 columns');
  });

  it('draw the seed’s figures as thresholds where they are measured', async () => {
    const d = await committed();
    const panel = (dashboard: string, title: string) => {
      const p = panelsOf(d[dashboard]!).find((x) => x.title === title);
      if (!p) throw new Error(`no panel "${title}" in ${dashboard}`);
      return thresholdValues(p);
    };
    expect(panel('vote-path', 'vote.cast p95')).toContain(SEED.latencyP95Seconds);
    expect(panel('vote-path', 'vote.cast p99')).toContain(SEED.latencyP99Seconds);
    expect(panel('vote-path', 'vote.cast latency')).toEqual([
      SEED.latencyP95Seconds,
      SEED.latencyP99Seconds,
    ]);
    expect(panel('postgres', 'Connections')).toContain(SEED.dbConnections);
    expect(panel('postgres', 'Connections vs limits')).toContain(SEED.dbConnections);
    expect(panel('vote-path', 'Response cache hit rate')).toContain(SEED.cacheHitRatio);
    expect(panel('vote-path', 'Hit rate by cache')).toContain(SEED.cacheHitRatio);
  });

  it('every query Grafana would send is valid PromQL (promtool)', async () => {
    const promtool = await findOrInstall(SYSTEM_COMMANDS.promtool);
    const now = Date.now();
    const rules: Array<{ record: string; expr: string }> = [];
    for (const d of Object.values(await committed())) {
      const vars = new Map<string, PickedVariable>(
        (d.templating?.list ?? []).map((model) => [
          model.name,
          {
            model,
            picked: model.type === VariableType.Datasource ? [DATASOURCE.uid] : ['$__all'],
            options: [],
          },
        ]),
      );
      for (const q of panelQueries(d)) {
        const { query } = rangeQuery(
          q,
          vars,
          { fromMs: now - 3_600_000, toMs: now },
          SCRAPE_INTERVAL,
        );
        expect(query, `${q.dashboard} "${q.panelTitle}" ${q.refId}`).not.toContain('$');
        rules.push({ record: `panel:${rules.length}`, expr: query });
      }
    }
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-grafana-promql-'));
    try {
      const file = path.join(dir, 'panels.yml');
      await writeFile(file, JSON.stringify({ groups: [{ name: 'panels', rules }] }));
      const { stdout } = await run(promtool, ['check', 'rules', file]);
      expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the commands', () => {
  const cli = async (file: string, args: string[]) =>
    run(process.execPath, ['--import', 'tsx', path.join(PACKAGE_DIR, 'src', file), ...args]).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it('refuse a bad flag with exit 2 and the usage, changing nothing', async () => {
    const before = await generatedFiles();
    for (const [file, args] of [
      ['cli.ts', ['--bogus']],
      ['cli.ts', ['dashboards']],
      ['panels-cli.ts', []],
      ['panels-cli.ts', ['--prometheus', 'ftp://127.0.0.1:7195']],
    ] as const) {
      const r = await cli(file, [...args]);
      expect(r.code, `${file} ${args.join(' ')}`).toBe(2);
      expect(r.stderr).toContain('usage:');
    }
    expect(await differences(before)).toEqual([]);
  });

  it('--check passes on the committed files', async () => {
    const r = await cli('cli.ts', ['--check']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('9 generated files are up to date');
  });
});
