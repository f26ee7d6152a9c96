/**
 * unitCost: what one vote and one read cost each part of the stack, for the capacity model
 * (docs/capacity.md, scripts/capacity.ts). One real api process (no subscribers) and one worker
 * on a fresh database and key prefix, on loopback; throughout, CPU from /proc/<pid>/stat
 * (api, worker, the Postgres backends of the bench database), Redis from INFO.
 *
 * Phases:
 * 1. idle (2 s; tiny 1 s): the fixed rates with no traffic (the ranker's tally reads, the
 *    flush schedulers, the api's feed follower): api/worker CPU and Redis commands per second.
 * 2. votes: an open-loop generator (bench/clients/vote-load.ts) at `votesPerSec` for
 *    `warmupS`, then the flush drains, then again for `durationS`, measured from its first send
 *    until every outbox is empty (the flush's work for those votes included). Well below one
 *    process's capacity, so the figures are costs, not a saturated run.
 * 3. reads: rankings.list as a browser GETs it (gzip), 64 connections, as fast as answered,
 *    after a short unmeasured run.
 *
 * Definitions (per vote: per vote.cast answered 2xx in the measured run; "minus idle": the
 * idle rate × the window's seconds is taken off first):
 * - apiCpuUsPerVote, workerCpuUsPerVote, pgCpuUsPerVote (backends connected to the bench
 *   database at the window's start, i.e. the pools of the api and the worker),
 *   redisCpuUsPerVote (INFO used_cpu_user + used_cpu_sys): CPU µs per vote, minus idle.
 * - redisCommandsPerVote: INFO commandstats calls (all commands), minus idle, per vote.
 *   redisTopCommands: the 5 largest shares, e.g. "evalsha 1.00 xack 0.01".
 * - pgRowsPerVote: rows written (pg_stat_user_tables n_tup_ins + n_tup_upd + n_tup_del, every
 *   table of the bench database, partitions included) per vote; pgEventsPerVote: user_votes
 *   rows per vote (a vote that repeats the voter's ballot writes nothing).
 * - redisBytesPerBallot: MEMORY USAGE of every ballot hash / the ballots they hold;
 *   redisBytesPerSession: MEMORY USAGE per voter session hash (after the votes).
 * - idleApiCpuPct, idleWorkerCpuPct (100 = one core), idleRedisCommandsPerSec; apiIdleRssMB:
 *   the api process's VmRSS before any traffic (board and catalogue loaded).
 * - apiCpuUsPerRead: api CPU µs per rankings.list answer, minus idle; readRps; readGzipBytes:
 *   the answer's body as sent (gzip); readRows: rows of the board.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

import { partitionKeys, rankingsKeys } from '@llmpt/vote-store';
import { Redis } from 'ioredis';
import { sql } from 'kysely';

import type { LoadConfig, LoadResult } from '../clients/vote-load.ts';
import { assertFewErrors, runLoad } from '../lib/load.ts';
import { waitForSnapshot } from '../lib/rt-api.ts';
import { fig, procCpuMs, procMemKB, sleep, trackChild } from '../lib/rt-measure.ts';
import { type BenchStack, startBenchStack } from '../lib/stack.ts';
import type { BenchContext, BenchOptions, Scenario, ScenarioResult } from '../lib/types.ts';

export interface UnitCostParams {
  votesPerSec: number;
  /** The unmeasured vote run before the measured one. */
  warmupS: number;
  durationS: number;
  idleS: number;
  readS: number;
}

export function unitCostParams(
  opts: Pick<BenchOptions, 'quick' | 'full' | 'tiny'>,
): UnitCostParams {
  if (opts.tiny) return { votesPerSec: 200, warmupS: 1, durationS: 2, idleS: 1, readS: 1.5 };
  if (opts.quick) return { votesPerSec: 2_000, warmupS: 2, durationS: 8, idleS: 2, readS: 5 };
  return {
    votesPerSec: 2_000,
    warmupS: 3,
    durationS: opts.full ? 30 : 15,
    idleS: 2,
    readS: opts.full ? 15 : 8,
  };
}

const VOTE_PARTITIONS = 16; // the apps' default; startBenchStack does not change it
const LOAD_SCRIPT = fileURLToPath(new URL('../clients/vote-load.ts', import.meta.url));

/** CPU ms of processes, summed (gone ones count 0). */
const cpuMs = (pids: number[]) => pids.reduce((s, pid) => s + (procCpuMs(pid) ?? 0), 0);

async function redisInfo(redis: Redis): Promise<{ cpuMs: number; calls: Map<string, number> }> {
  const text = await redis.info('all');
  const num = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(text)?.[1] ?? 0);
  const calls = new Map<string, number>();
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1]!, Number(m[2]));
  return { cpuMs: (num('used_cpu_user') + num('used_cpu_sys')) * 1000, calls };
}

const totalCalls = (calls: Map<string, number>) => [...calls.values()].reduce((a, b) => a + b, 0);

async function pgRowsWritten(stack: BenchStack): Promise<{ rows: number; events: number }> {
  await sql`select pg_stat_clear_snapshot()`.execute(stack.db);
  const r = await sql<{ rows: string; events: string }>`
    select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::text as rows,
           (select count(*) from user_votes)::text as events
    from pg_stat_user_tables`.execute(stack.db);
  return { rows: Number(r.rows[0]?.rows ?? 0), events: Number(r.rows[0]?.events ?? 0) };
}

async function pgBackendPids(stack: BenchStack): Promise<number[]> {
  const r = await sql<{ pid: number }>`
    select pid from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()`.execute(stack.db);
  return r.rows.map((row) => row.pid);
}

async function outboxesEmpty(redis: Redis, prefix: string): Promise<boolean> {
  const pipeline = redis.pipeline();
  for (let i = 0; i < VOTE_PARTITIONS; i++) pipeline.xlen(partitionKeys(prefix, i).outbox);
  const replies = (await pipeline.exec()) ?? [];
  return replies.every(([err, n]) => !err && n === 0);
}

async function drain(redis: Redis, prefix: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await outboxesEmpty(redis, prefix))) {
    if (Date.now() > deadline) throw new Error('unitCost: the outbox did not drain within 60 s');
    await sleep(100);
  }
}

/** MEMORY USAGE of keys matching `pattern` (SCAN), and the sum of their HLEN. */
async function memoryOf(
  redis: Redis,
  pattern: string,
): Promise<{ bytes: number; keys: number; fields: number }> {
  let cursor = '0';
  const out = { bytes: 0, keys: 0, fields: 0 };
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) {
      pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
      pipeline.hlen(key);
    }
    const replies = (await pipeline.exec()) ?? [];
    for (let i = 0; i < replies.length; i += 2) {
      out.bytes += Number(replies[i]?.[1] ?? 0);
      out.fields += Number(replies[i + 1]?.[1] ?? 0);
      out.keys++;
    }
  } while (cursor !== '0');
  return out;
}

/** One run of the open-loop vote generator; resolves with its result. */
async function voteRun(
  cfg: LoadConfig,
  onWindow: () => void,
): Promise<{ result: LoadResult; child: ChildProcess }> {
  const child = trackChild(
    fork(LOAD_SCRIPT, [JSON.stringify(cfg)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  try {
    const result = await new Promise<LoadResult>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`vote-load exited (${code})`)));
      child.on('message', (m: { type: string; result?: LoadResult }) => {
        if (m.type === 'ready') child.send({ cmd: 'go' });
        else if (m.type === 'window') onWindow();
        else if (m.type === 'done') resolve(m.result!);
      });
    });
    return { result, child };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  }
}

export async function runUnitCost(ctx: BenchContext, p: UnitCostParams): Promise<ScenarioResult> {
  const stack = await startBenchStack(ctx, { apis: 1, workers: 1 });
  const redis = new Redis(ctx.redisUrl);
  try {
    const snapshot = await waitForSnapshot(redis, rankingsKeys(stack.prefix));
    const models = snapshot.entries.map((e) => e.llmId);
    const apiPid = stack.apis[0]!.pid ?? -1;
    const workerPid = stack.workers[0]!.pid ?? -1;
    const apiUrl = stack.apiUrls[0]!;

    // 1. Idle.
    await sleep(1000);
    const apiIdleRssMB = (procMemKB(apiPid)?.rssKB ?? NaN) / 1024;
    const idle0 = {
      api: cpuMs([apiPid]),
      worker: cpuMs([workerPid]),
      redis: await redisInfo(redis),
    };
    const idleT0 = performance.now();
    await sleep(p.idleS * 1000);
    const idleSec = (performance.now() - idleT0) / 1000;
    const idle1 = await redisInfo(redis);
    const idleRate = {
      apiMs: (cpuMs([apiPid]) - idle0.api) / idleSec,
      workerMs: (cpuMs([workerPid]) - idle0.worker) / idleSec,
      redisCalls: (totalCalls(idle1.calls) - totalCalls(idle0.redis.calls)) / idleSec,
      redisMs: (idle1.cpuMs - idle0.redis.cpuMs) / idleSec,
    };

    // 2. Votes: an unmeasured run, the drain, then the measured one.
    const cfg: LoadConfig = {
      url: apiUrl,
      rate: p.votesPerSec,
      warmupS: 0,
      durationS: p.warmupS,
      connections: 64,
      voters: Math.min(2_000, Math.max(100, p.votesPerSec / 2)),
      models,
    };
    await voteRun(cfg, () => undefined);
    await drain(redis, stack.prefix);
    await sleep(1000);
    const pgPids = await pgBackendPids(stack);
    const rows0 = await pgRowsWritten(stack);
    const window: {
      start?: {
        t: number;
        api: number;
        worker: number;
        pg: number;
        /** Asked as the window opens (vote.mine calls of the voters' minting come before). */
        redis: Promise<Awaited<ReturnType<typeof redisInfo>>>;
      };
    } = {};
    const { result } = await voteRun({ ...cfg, durationS: p.durationS }, () => {
      window.start = {
        t: performance.now(),
        api: cpuMs([apiPid]),
        worker: cpuMs([workerPid]),
        pg: cpuMs(pgPids),
        redis: redisInfo(redis),
      };
    });
    await drain(redis, stack.prefix);
    const s0 = window.start;
    if (!s0) throw new Error('unitCost: the vote window never opened');
    const s = { ...s0, redis: await s0.redis };
    const sec = (performance.now() - s.t) / 1000;
    const end = {
      api: cpuMs([apiPid]),
      worker: cpuMs([workerPid]),
      pg: cpuMs(pgPids),
      redis: await redisInfo(redis),
    };
    // pg_stat counters reach the shared statistics within a second of a transaction's end.
    await sleep(1500);
    const rows1 = await pgRowsWritten(stack);
    const votes = result.ok;
    if (votes === 0) throw new Error('unitCost: no vote was accepted');
    const perVoteUs = (deltaMs: number, idleMsPerSec: number) =>
      ((deltaMs - idleMsPerSec * sec) * 1000) / votes;
    const calls = new Map<string, number>();
    for (const [name, n] of end.redis.calls) calls.set(name, n - (s.redis.calls.get(name) ?? 0));
    const callsAll = totalCalls(calls);
    const top = [...calls.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([name, n]) => `${name} ${(n / votes).toFixed(2)}`)
      .join(' ');
    const ballots = await memoryOf(redis, `${stack.prefix}{vp:*}:ballot:*`);
    const sessions = await memoryOf(redis, `${stack.prefix}session:*`);

    // 3. Reads, as a browser makes them (gzip).
    const url = `/trpc/rankings.list?input=${encodeURIComponent(JSON.stringify({ sort: 'score' }))}`;
    const headers = { 'accept-encoding': 'gzip, deflate, br' };
    const sample = await fetch(`${apiUrl}${url}`, { headers });
    const readGzipBytes = Number(sample.headers.get('content-length') ?? NaN);
    await sample.arrayBuffer();
    const plain = (await (await fetch(`${apiUrl}${url}`)).json()) as {
      result: { data: unknown[] };
    };
    const spec = {
      origin: apiUrl,
      workload: { kind: 'get' as const, path: url, headers },
      connections: 64,
      warmupSec: 0,
      maxRequests: Math.ceil(p.readS * 200_000),
    };
    await runLoad(ctx.repoRoot, { ...spec, durationSec: Math.min(2, p.readS) });
    const read0 = { t: performance.now(), api: cpuMs([apiPid]) };
    const reads = await runLoad(ctx.repoRoot, { ...spec, durationSec: p.readS });
    const readSec = (performance.now() - read0.t) / 1000;
    const readCpuMs = cpuMs([apiPid]) - read0.api - idleRate.apiMs * readSec;
    assertFewErrors('unitCost reads', reads);

    return {
      votesPerSec: fig(votes / p.durationS),
      votes,
      voteErrors: result.non2xx + result.socketErrors + result.unanswered,
      measuredSec: fig(sec, 2),
      apiCpuUsPerVote: fig(perVoteUs(end.api - s.api, idleRate.apiMs)),
      workerCpuUsPerVote: fig(perVoteUs(end.worker - s.worker, idleRate.workerMs)),
      pgCpuUsPerVote: fig(perVoteUs(end.pg - s.pg, 0)),
      redisCpuUsPerVote: fig(perVoteUs(end.redis.cpuMs - s.redis.cpuMs, idleRate.redisMs)),
      redisCommandsPerVote: fig((callsAll - idleRate.redisCalls * sec) / votes, 2),
      redisTopCommands: top,
      pgRowsPerVote: fig((rows1.rows - rows0.rows) / votes, 2),
      pgEventsPerVote: fig((rows1.events - rows0.events) / votes, 3),
      redisBytesPerBallot: fig(ballots.bytes / Math.max(1, ballots.fields)),
      redisBallots: ballots.fields,
      redisBytesPerSession: fig(sessions.bytes / Math.max(1, sessions.keys)),
      redisSessions: sessions.keys,
      idleApiCpuPct: fig(idleRate.apiMs / 10, 2),
      apiIdleRssMB: fig(apiIdleRssMB),
      idleWorkerCpuPct: fig(idleRate.workerMs / 10, 2),
      idleRedisCommandsPerSec: fig(idleRate.redisCalls),
      apiCpuUsPerRead: fig((readCpuMs * 1000) / Math.max(1, reads.requests), 2),
      readRps: reads.rps,
      readGzipBytes,
      readRows: plain.result.data.length,
    };
  } finally {
    redis.disconnect();
    await stack.stop();
  }
}

export const scenario: Scenario = {
  name: 'unitCost',
  describe:
    'per-unit costs for the capacity model: CPU (api, worker, Postgres, Redis), Redis commands and Postgres rows per vote; CPU per read',
  run: (ctx) => runUnitCost(ctx, unitCostParams(ctx.opts)),
};
