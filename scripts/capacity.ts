/**
 * `npm run capacity`: the capacity model (issue 16) from a bench run.
 *
 *   npm run capacity                      bench/results/latest.json → docs/capacity.inputs.json → docs/capacity.md
 *   npm run capacity -- --from FILE       the same from another report
 *   npm run capacity -- --render          docs/capacity.md from the committed inputs only
 *
 * Extraction keeps the committed behaviour and assumptions (edit them in the inputs file) and
 * replaces every measured unit; a report that lacks one (a scenario skipped or failed, a tiny
 * run) is refused with the missing figures named, and nothing is written.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { formattedCapacity, num, prettierFormat } from './capacity-doc.ts';
import {
  type CapacityInputs,
  DEFAULT_ASSUMPTIONS,
  DEFAULT_BEHAVIOUR,
  type Measured,
  UNIT_KEYS,
  type UnitKey,
} from './capacity-model.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const INPUTS_PATH = path.join(repoRoot, 'docs/capacity.inputs.json');
export const DOC_PATH = path.join(repoRoot, 'docs/capacity.md');

interface BenchReport {
  startedAt: string;
  mode: string;
  machine: { cores: number; cpuModel: string; memoryGiB: number; node: string; loadAvg1m?: number };
  git: { commit: string | null; dirty: boolean };
  scenarios: Record<string, Record<string, unknown>>;
}

type Figures = Record<string, unknown>;
/** Where each unit comes from: scenario, key, unit, what, and the load it ran under. */
const SOURCES: Record<
  UnitKey,
  [scenario: string, key: string, unit: string, what: string, workload: (f: Figures) => string]
> = (() => {
  const n = (v: unknown) => (typeof v === 'number' ? num(v) : String(v));
  const votes = (f: Figures) =>
    `${n(f.votesPerSec)} votes/s open loop, 1 api process and 1 worker, no subscribers`;
  const reads = (f: Figures) => `${n(f.readRps)} req/s, 64 connections, gzip, 1 api process`;
  const e2e = (f: Figures) =>
    `${n(f.votesPerSec)} votes/s reached (of ${n(f.targetVotesPerSec)} targeted) uniform over the board, ${n(f.subscribers)} subscribers, ${n(f.apiProcesses)} api process(es)`;
  const fan = (f: Figures) =>
    `one vote per round, ${n(f.subscribers)} subscribers, ${n(f.serverProcesses)} api process(es)`;
  const flatB = (f: Figures) =>
    `${n(f.subscribersB)} subscribers over ${n(f.apiProcesses)} api processes, ${n(f.rounds)} rounds of each kind, ${n(f.subscriberDisconnectsB)} closed by the server meanwhile`;
  const flatA = (f: Figures) =>
    `${n(f.subscribersA)} subscribers over ${n(f.apiProcesses)} api processes, ${n(f.rounds)} rounds of each kind, ${n(f.subscriberDisconnectsA)} closed by the server meanwhile`;
  return {
    apiCpuUsPerVote: ['unitCost', 'apiCpuUsPerVote', 'µs', 'api CPU per vote', votes],
    workerCpuUsPerVote: [
      'unitCost',
      'workerCpuUsPerVote',
      'µs',
      'worker CPU per vote (flush included)',
      votes,
    ],
    pgCpuUsPerVote: ['unitCost', 'pgCpuUsPerVote', 'µs', 'Postgres backend CPU per vote', votes],
    redisCpuUsPerVote: ['unitCost', 'redisCpuUsPerVote', 'µs', 'Redis CPU per vote', votes],
    redisCommandsPerVote: [
      'unitCost',
      'redisCommandsPerVote',
      '',
      'Redis commands per vote (INFO commandstats)',
      votes,
    ],
    idleRedisCommandsPerSec: [
      'unitCost',
      'idleRedisCommandsPerSec',
      '/s',
      'Redis commands per second with no traffic',
      () => '1 api process and 1 worker, idle',
    ],
    pgRowsPerVote: ['unitCost', 'pgRowsPerVote', '', 'Postgres rows written per vote', votes],
    pgEventsPerVote: [
      'unitCost',
      'pgEventsPerVote',
      '',
      'vote events (user_votes rows) per vote',
      votes,
    ],
    redisBytesPerBallot: ['unitCost', 'redisBytesPerBallot', 'B', 'Redis memory per ballot', votes],
    redisBytesPerSession: [
      'unitCost',
      'redisBytesPerSession',
      'B',
      'Redis memory per voter session',
      votes,
    ],
    apiIdleRssMB: [
      'unitCost',
      'apiIdleRssMB',
      'MB',
      'api process RSS with no traffic',
      () => '1 api process, board loaded',
    ],
    apiCpuUsPerRead: ['unitCost', 'apiCpuUsPerRead', 'µs', 'api CPU per rankings.list read', reads],
    readBytes: ['unitCost', 'readGzipBytes', 'B', 'rankings.list body as sent (gzip)', reads],
    loadBytesPerSubscriberPerSec: [
      'endToEnd',
      'pageBytesPerSubscriberPerSec',
      'B/s',
      'wire bytes per subscriber per second under load, as the page subscribes (rankings.liveWindow, ranks 1-25)',
      e2e,
    ],
    verboseLoadBytesPerSubscriberPerSec: [
      'endToEnd',
      'bytesPerSubscriberPerSec',
      'B/s',
      'the same for a whole-board rankings.live subscriber (before issue 16; not modelled)',
      e2e,
    ],
    loadVotesPerSec: ['endToEnd', 'votesPerSec', 'votes/s', 'the load of that figure', e2e],
    loadDiffsPerSec: [
      'endToEnd',
      'diffsPerSec',
      '/s',
      'diffs per second under that load (paced ranker)',
      e2e,
    ],
    quietBytesPerSubscriberPerVote: [
      'fanout',
      'bytesPerSubscriberPerVote',
      'B',
      'wire bytes per subscriber for one vote on a quiet board',
      fan,
    ],
    cpuUsPerSubscriberDiff: [
      'flatCost',
      'cpuUsPerSubscriberDiffB',
      'µs',
      'api CPU per delivered whole-board diff per subscriber',
      flatB,
    ],
    diffWireBytes: ['flatCost', 'diffWireBytesB', 'B', 'wire bytes of that diff', flatB],
    oneEntryCpuUsPerSubscriberDiff: [
      'flatCost',
      'oneEntryCpuUsPerSubscriberDiffB',
      'µs',
      'api CPU per delivered one-entry diff per subscriber',
      flatB,
    ],
    oneEntryDiffWireBytes: [
      'flatCost',
      'oneEntryDiffWireBytesB',
      'B',
      'wire bytes of that diff',
      flatB,
    ],
    rssPerConnKB: ['flatCost', 'rssPerConnKBB', 'KB', 'api RSS per live connection', flatB],
    flatSubscribersA: ['flatCost', 'subscribersA', '', 'flatCost: the smaller audience', flatA],
    flatSubscribersB: ['flatCost', 'subscribersB', '', 'flatCost: the larger audience', flatB],
    flatCpuUsPerSubscriberDiffA: [
      'flatCost',
      'cpuUsPerSubscriberDiffA',
      'µs',
      'as cpuUsPerSubscriberDiff, smaller audience',
      flatA,
    ],
    flatOneEntryCpuUsPerSubscriberDiffA: [
      'flatCost',
      'oneEntryCpuUsPerSubscriberDiffA',
      'µs',
      'as oneEntryCpuUsPerSubscriberDiff, smaller audience',
      flatA,
    ],
    flatDiffWireBytesA: [
      'flatCost',
      'diffWireBytesA',
      'B',
      'as diffWireBytes, smaller audience',
      flatA,
    ],
    flatRssPerConnKBA: [
      'flatCost',
      'rssPerConnKBA',
      'KB',
      'as rssPerConnKB, smaller audience',
      flatA,
    ],
    flushEventsPerSec: [
      'flush',
      'rowsPerSec',
      'events/s',
      'vote events drained by one worker into one Postgres',
      () => '1,000,000 events queued, 1 worker, Postgres on the same 2 cores',
    ],
  };
})();

/** The inputs from a bench report, keeping `previous`'s behaviour and assumptions. */
export function extractInputs(
  report: BenchReport,
  reportPath: string,
  previous: Pick<CapacityInputs, 'behaviour' | 'assumptions'>,
): CapacityInputs {
  if (report.mode === 'tiny') throw new Error('a --tiny run measures nothing worth modelling');
  const missing: string[] = [];
  const units = {} as Record<UnitKey, Measured>;
  const m = report.machine;
  for (const key of UNIT_KEYS) {
    const [scenario, figure, unit, what, workload] = SOURCES[key];
    const figures = report.scenarios[scenario] ?? {};
    const value = figures[figure];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      missing.push(
        `${scenario}.${figure}${'error' in figures ? ` (${String(figures.error)})` : ''}`,
      );
      continue;
    }
    units[key] = {
      value,
      unit,
      what,
      from: `${scenario}.${figure}`,
      workload: workload(figures),
      commit: report.git.commit ?? 'unknown',
      date: report.startedAt,
      node: m.node,
      loadAvg1m: m.loadAvg1m ?? null,
    };
  }
  if (missing.length > 0) throw new Error(`the report lacks: ${missing.join(', ')}`);
  return {
    source: {
      report: reportPath,
      mode: report.mode,
      commit: report.git.commit ?? 'unknown',
      dirty: report.git.dirty,
      startedAt: report.startedAt,
      node: m.node,
      loadAvg1m: m.loadAvg1m ?? null,
      machine: `${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB`,
    },
    behaviour: previous.behaviour,
    assumptions: previous.assumptions,
    units,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { from: { type: 'string' }, render: { type: 'boolean', default: false } },
  });
  const committed = await readFile(INPUTS_PATH, 'utf8').then(
    (text) => JSON.parse(text) as CapacityInputs,
    (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT' || values.render) throw err;
      return null;
    },
  );
  let inputs: CapacityInputs;
  if (values.render) {
    inputs = committed!;
  } else {
    const from = path.resolve(values.from ?? path.join(repoRoot, 'bench/results/latest.json'));
    const report = JSON.parse(await readFile(from, 'utf8')) as BenchReport;
    inputs = extractInputs(
      report,
      path.relative(repoRoot, from),
      committed ?? { behaviour: DEFAULT_BEHAVIOUR, assumptions: DEFAULT_ASSUMPTIONS },
    );
    await writeFile(INPUTS_PATH, await prettierFormat(JSON.stringify(inputs), INPUTS_PATH));
    console.log(`${path.relative(process.cwd(), INPUTS_PATH)}: units from ${inputs.source.report}`);
  }
  await writeFile(DOC_PATH, await formattedCapacity(inputs));
  console.log(`${path.relative(process.cwd(), DOC_PATH)}: written`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(`npm run capacity: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
