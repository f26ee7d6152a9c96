import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { ScenarioResult } from './types.ts';

/** What bench/results/latest.json holds. */
export interface BenchReport {
  startedAt: string;
  durationSec: number;
  mode: string;
  machine: Record<string, string | number>;
  git: { commit: string | null; dirty: boolean | null };
  infra: Record<string, string | boolean>;
  settings: Record<string, number>;
  /** One object per scenario: its figures, `{ error }`, or `{ skipped: true }`. */
  scenarios: Record<string, ScenarioResult>;
}

export async function writeReport(file: string, report: BenchReport): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}

const MAIN = [
  'rps',
  'p50Ms',
  'p99Ms',
  'rowsPerSec',
  'rawRowsPerSec',
  'overallHitRate',
  'subscribers',
  'publishToDeliverP50Ms',
  'deliverP50Ms',
  'deliverP99Ms',
  'votesPerSec',
  'voteToScreenP99Ms',
];
const LABEL: Record<string, string> = {
  subscribers: 'subscribers',
  publishToDeliverP50Ms: 'publish→deliver p50 ms',
  deliverP50Ms: 'deliver p50 ms',
  deliverP99Ms: 'deliver p99 ms',
  votesPerSec: 'votes/s',
  voteToScreenP99Ms: 'vote→screen p99 ms',
  rps: 'req/s',
  p50Ms: 'p50 ms',
  p99Ms: 'p99 ms',
  rowsPerSec: 'rows/s',
  rawRowsPerSec: 'raw rows/s',
  overallHitRate: 'hit rate',
};

function fmt(value: ScenarioResult[string]): string {
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value < 10 ? value.toFixed(Math.abs(value) < 1 ? 3 : 2) : value.toFixed(1);
}

/** The table on stdout: scenario, key figures, ratios, then the rest of its figures. */
export function formatTable(scenarios: Record<string, ScenarioResult>): string {
  const rows: string[][] = [['scenario', 'key figures', 'ratios', 'more']];
  for (const [name, r] of Object.entries(scenarios)) {
    if ('error' in r) {
      rows.push([name, `ERROR: ${String(r.error)}`, '', '']);
      continue;
    }
    if (r.skipped === true) {
      rows.push([name, 'skipped', '', '']);
      continue;
    }
    const entries = Object.entries(r);
    const main = entries.filter(([k]) => MAIN.includes(k));
    const ratios = entries.filter(([k]) => k.startsWith('ratio'));
    const more = entries.filter(([k]) => !MAIN.includes(k) && !k.startsWith('ratio'));
    rows.push([
      name,
      main.map(([k, v]) => `${fmt(v)} ${LABEL[k] ?? k}`).join(', '),
      ratios
        .filter(([, v]) => typeof v === 'number')
        .map(
          ([k, v]) =>
            `×${fmt(v)} of ${k.replace(/^ratioTo(.)/, (_, c: string) => c.toLowerCase())}`,
        )
        .join(', '),
      more.map(([k, v]) => `${k}=${fmt(v)}`).join(' '),
    ]);
  }
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
