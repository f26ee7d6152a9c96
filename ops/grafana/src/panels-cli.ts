/**
 * `npm run -s panels -w @llmpt/grafana -- --prometheus URL`: runs every panel's queries against
 * that Prometheus as Grafana would when a dashboard opens (default time range and variables,
 * Grafana's step and $__rate_interval), prints one line per query, and exits 1 if any panel
 * would show "No data". A bad flag exits 2.
 */
import { SCRAPE_INTERVAL } from './config.ts';
import { parseFlags } from './flags.ts';

const USAGE = `usage: node --import tsx src/panels-cli.ts --prometheus URL
  --prometheus URL  the Prometheus the provisioned datasource points at (e.g. the cluster's,
                    http://127.0.0.1:7195)`;

async function main(args: string[]): Promise<number> {
  const flags = parseFlags(args, { prometheus: { type: 'string' } }, USAGE);
  if (!flags) return 2;
  const prometheus = httpUrl(flags.prometheus);
  if (!prometheus) {
    console.error(
      `--prometheus needs an http(s) URL, got ${JSON.stringify(flags.prometheus)}\n${USAGE}`,
    );
    return 2;
  }
  const { allDashboards } = await import('./dashboards/index.ts');
  const { panelData, scrapeInterval } = await import('./panel-data.ts');
  const scrape = await scrapeInterval(prometheus);
  if (scrape !== SCRAPE_INTERVAL)
    console.error(
      `note: Prometheus scrapes every ${scrape}; the provisioned datasource says ${SCRAPE_INTERVAL}`,
    );
  const { results, problems } = await panelData(prometheus, Object.values(allDashboards()), {
    now: Date.now(),
    scrapeInterval: SCRAPE_INTERVAL,
  });
  for (const r of results)
    console.log(
      `${r.withData > 0 ? 'ok     ' : 'NO DATA'} ${r.dashboard} / ${r.panel} ${r.refId}: ${r.error ?? `${r.withData}/${r.series} series`}`,
    );
  for (const p of problems) console.log(`PROBLEM ${p}`);
  const empty = results.filter((r) => r.withData === 0).length;
  console.error(`${results.length - empty} of ${results.length} queries have data`);
  return empty === 0 && problems.length === 0 ? 0 : 1;
}

function httpUrl(text: string | undefined): string | null {
  if (text === undefined) return null;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:'
      ? url.toString().replace(/\/$/, '')
      : null;
  } catch {
    return null;
  }
}

process.exitCode = await main(process.argv.slice(2));
