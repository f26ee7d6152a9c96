/**
 * The capacity model of docs/capacity.md (issue 16): per-unit costs measured by `npm run bench`
 * (extracted once into docs/capacity.inputs.json) times a stated user behaviour gives the
 * resources for a number of concurrent users. Pure functions: scripts/capacity.ts reads and
 * writes the files; bench/test/capacity.test.ts checks the arithmetic and that the committed
 * document is what these functions make of the committed inputs.
 */

/** One measured per-unit cost, with where and under what it was measured. */
export interface Measured {
  value: number;
  unit: string;
  what: string;
  /** `scenario.key` in the bench report. */
  from: string;
  /** The load it was measured under. */
  workload: string;
  commit: string;
  date: string;
  node: string;
  loadAvg1m: number | null;
}

/** Who the users are: stated, not measured. */
export interface Behaviour {
  populations: number[];
  readsPerUserPerMinute: number;
  votesPerUserPerHour: number;
  /** Share of the users holding a live subscription (the leaderboard open). */
  liveShare: number;
  /** Distinct models a user holds a ballot on (Redis keeps every ballot). */
  ballotsPerUser: number;
}

/** Deployment rules the model applies: configuration and headroom, not measurements. */
export interface Assumptions {
  /** Share of a core an api / worker process may use at the modelled load. */
  apiCpuTarget: number;
  workerCpuTarget: number;
  /** Share of the one Redis primary's core, and of one Postgres's measured drain rate. */
  redisCpuTarget: number;
  postgresTarget: number;
  /** Sockets one api process may hold (open files ~20,000 per process here). */
  socketsPerApiProcess: number;
  minApiProcesses: number;
  minWorkers: number;
  /** DATABASE_POOL_MAX defaults (apps/api/src/env.ts, apps/worker/src/env.ts). */
  apiDbPool: number;
  workerDbPool: number;
  /** PgBouncer's server connections per database (default_pool_size). */
  pgbouncerServerPool: number;
  /** 1000 / RANKER_TICK_MS: the most diffs a quiet board gets per second. */
  rankerTicksPerSec: number;
  /** VOTE_PARTITIONS: the most Redis shards / flush streams the vote path spreads over. */
  votePartitions: number;
}

/** The behaviour and rules the first inputs file starts from (then edited in the file). */
export const DEFAULT_BEHAVIOUR: Behaviour = {
  populations: [10_000, 200_000, 1_000_000],
  readsPerUserPerMinute: 1,
  votesPerUserPerHour: 10,
  liveShare: 0.5,
  ballotsPerUser: 5,
};

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  apiCpuTarget: 0.6,
  workerCpuTarget: 0.6,
  redisCpuTarget: 0.5,
  postgresTarget: 0.5,
  socketsPerApiProcess: 15_000,
  minApiProcesses: 2,
  minWorkers: 2,
  apiDbPool: 10,
  workerDbPool: 4,
  pgbouncerServerPool: 25,
  rankerTicksPerSec: 4,
  votePartitions: 16,
};

export const UNIT_KEYS = [
  'apiCpuUsPerVote',
  'workerCpuUsPerVote',
  'pgCpuUsPerVote',
  'redisCpuUsPerVote',
  'redisCommandsPerVote',
  'idleRedisCommandsPerSec',
  'pgRowsPerVote',
  'pgEventsPerVote',
  'redisBytesPerBallot',
  'redisBytesPerSession',
  'apiIdleRssMB',
  'apiCpuUsPerRead',
  'readBytes',
  'loadBytesPerSubscriberPerSec',
  'verboseLoadBytesPerSubscriberPerSec',
  'loadVotesPerSec',
  'loadDiffsPerSec',
  'quietBytesPerSubscriberPerVote',
  'cpuUsPerSubscriberDiff',
  'diffWireBytes',
  'oneEntryCpuUsPerSubscriberDiff',
  'oneEntryDiffWireBytes',
  'rssPerConnKB',
  'flatSubscribersA',
  'flatSubscribersB',
  'flatCpuUsPerSubscriberDiffA',
  'flatOneEntryCpuUsPerSubscriberDiffA',
  'flatDiffWireBytesA',
  'flatRssPerConnKBA',
  'flushEventsPerSec',
] as const;
export type UnitKey = (typeof UNIT_KEYS)[number];

export interface CapacityInputs {
  /** The bench run the units come from. */
  source: {
    report: string;
    mode: string;
    commit: string;
    dirty: boolean;
    startedAt: string;
    node: string;
    loadAvg1m: number | null;
    machine: string;
  };
  behaviour: Behaviour;
  assumptions: Assumptions;
  units: Record<UnitKey, Measured>;
}

/** Resources for one population. Rates per second, CPU in cores, memory in bytes. */
export interface Capacity {
  users: number;
  votesPerSec: number;
  readsPerSec: number;
  liveSubscribers: number;
  /** 'quiet': each vote its own small diff; 'paced': the ranker's pacing caps what is sent. */
  fanoutRegime: 'quiet' | 'paced';
  bytesPerSubscriberPerSec: number;
  diffsPerSubscriberPerSec: number;
  bytesPerDiff: number;
  cpuUsPerSubscriberDiff: number;
  apiCores: { votes: number; reads: number; fanout: number; total: number };
  apiProcesses: number;
  /** Why that many: 'cpu', 'sockets' or 'minimum'. */
  apiBoundBy: 'cpu' | 'sockets' | 'minimum';
  apiMemoryBytes: number;
  workerCores: number;
  workers: number;
  redisCommandsPerSec: number;
  redisCores: number;
  redisMemoryBytes: number;
  pgRowsPerSec: number;
  pgEventsPerSec: number;
  pgCores: number;
  /** Events per second / one Postgres's measured drain rate. */
  pgShare: number;
  pgClientConnections: number;
  pgServerConnections: number;
  egressBytesPerSec: number;
  /** The single-instance parts, as a share of what the assumptions allow them. */
  utilization: { redis: number; postgres: number };
  saturatesFirst: 'redis' | 'postgres';
}

/**
 * Api CPU µs per delivered diff per subscriber as a + b × bytes, through flatCost's two
 * measured points (a one-entry diff and a whole-board one). A negative slope or intercept
 * (noise) is clamped at 0.
 */
export function fanoutCostLine(inputs: CapacityInputs): { a: number; b: number } {
  const u = inputs.units;
  const [w1, c1] = [u.oneEntryDiffWireBytes.value, u.oneEntryCpuUsPerSubscriberDiff.value];
  const [w2, c2] = [u.diffWireBytes.value, u.cpuUsPerSubscriberDiff.value];
  const b = w2 > w1 ? Math.max(0, (c2 - c1) / (w2 - w1)) : 0;
  return { a: Math.max(0, c1 - b * w1), b };
}

export function capacityFor(inputs: CapacityInputs, users: number): Capacity {
  const u = Object.fromEntries(
    Object.entries(inputs.units).map(([k, m]) => [k, m.value]),
  ) as Record<UnitKey, number>;
  const be = inputs.behaviour;
  const as = inputs.assumptions;
  const votesPerSec = (users * be.votesPerUserPerHour) / 3600;
  const readsPerSec = (users * be.readsPerUserPerMinute) / 60;
  const live = users * be.liveShare;

  // Fan-out: a quiet board sends each vote as its own diff (fanout's one-vote figure, measured
  // on the whole-board feed: an upper bound for the page's compact one), up to the ranker's tick
  // rate; once that exceeds what a page receives under a uniform load (endToEnd's page figure),
  // the paced figure holds.
  const quietBytes = votesPerSec * u.quietBytesPerSubscriberPerVote;
  const paced = quietBytes >= u.loadBytesPerSubscriberPerSec;
  const bytesPerSubscriberPerSec = paced ? u.loadBytesPerSubscriberPerSec : quietBytes;
  const diffsPerSubscriberPerSec = paced
    ? u.loadDiffsPerSec
    : Math.min(votesPerSec, as.rankerTicksPerSec);
  const bytesPerDiff =
    diffsPerSubscriberPerSec > 0 ? bytesPerSubscriberPerSec / diffsPerSubscriberPerSec : 0;
  const line = fanoutCostLine(inputs);
  const cpuUsPerSubscriberDiff = line.a + line.b * bytesPerDiff;

  const apiCores = {
    votes: (votesPerSec * u.apiCpuUsPerVote) / 1e6,
    reads: (readsPerSec * u.apiCpuUsPerRead) / 1e6,
    fanout: (live * diffsPerSubscriberPerSec * cpuUsPerSubscriberDiff) / 1e6,
    total: 0,
  };
  apiCores.total = apiCores.votes + apiCores.reads + apiCores.fanout;
  const byCpu = Math.ceil(apiCores.total / as.apiCpuTarget);
  const bySockets = Math.ceil(live / as.socketsPerApiProcess);
  const apiProcesses = Math.max(as.minApiProcesses, byCpu, bySockets);
  const apiBoundBy =
    apiProcesses === as.minApiProcesses && as.minApiProcesses > Math.max(byCpu, bySockets)
      ? 'minimum'
      : byCpu >= bySockets
        ? 'cpu'
        : 'sockets';
  const apiMemoryBytes = apiProcesses * u.apiIdleRssMB * 1024 * 1024 + live * u.rssPerConnKB * 1024;

  const workerCores = (votesPerSec * u.workerCpuUsPerVote) / 1e6;
  const workers = Math.max(as.minWorkers, Math.ceil(workerCores / as.workerCpuTarget));

  const redisCores = (votesPerSec * u.redisCpuUsPerVote) / 1e6;
  const pgEventsPerSec = votesPerSec * u.pgEventsPerVote;
  const pgShare = pgEventsPerSec / u.flushEventsPerSec;
  const pgClientConnections = apiProcesses * as.apiDbPool + workers * as.workerDbPool;
  const utilization = {
    redis: redisCores / as.redisCpuTarget,
    postgres: pgShare / as.postgresTarget,
  };
  return {
    users,
    votesPerSec,
    readsPerSec,
    liveSubscribers: live,
    fanoutRegime: paced ? 'paced' : 'quiet',
    bytesPerSubscriberPerSec,
    diffsPerSubscriberPerSec,
    bytesPerDiff,
    cpuUsPerSubscriberDiff,
    apiCores,
    apiProcesses,
    apiBoundBy,
    apiMemoryBytes,
    workerCores,
    workers,
    redisCommandsPerSec: votesPerSec * u.redisCommandsPerVote + u.idleRedisCommandsPerSec,
    redisCores,
    redisMemoryBytes: users * (be.ballotsPerUser * u.redisBytesPerBallot + u.redisBytesPerSession),
    pgRowsPerSec: votesPerSec * u.pgRowsPerVote,
    pgEventsPerSec,
    pgCores: (votesPerSec * u.pgCpuUsPerVote) / 1e6,
    pgShare,
    pgClientConnections,
    pgServerConnections: Math.min(pgClientConnections, as.pgbouncerServerPool),
    egressBytesPerSec: live * bytesPerSubscriberPerSec + readsPerSec * u.readBytes,
    utilization,
    saturatesFirst: utilization.redis >= utilization.postgres ? 'redis' : 'postgres',
  };
}

/**
 * Users at which each single-instance part reaches its allowed share (the assumptions'
 * targets): one Redis primary (its CPU per vote) and one Postgres (its measured drain rate).
 */
export function limits(inputs: CapacityInputs): {
  redisUsers: number;
  postgresUsers: number;
  redisVotesPerSec: number;
  postgresVotesPerSec: number;
  redisCommandsPerCoreSec: number;
} {
  const u = inputs.units;
  const as = inputs.assumptions;
  const perUserVotes = inputs.behaviour.votesPerUserPerHour / 3600;
  const redisVotesPerSec = (as.redisCpuTarget * 1e6) / u.redisCpuUsPerVote.value;
  const postgresVotesPerSec =
    (as.postgresTarget * u.flushEventsPerSec.value) / u.pgEventsPerVote.value;
  return {
    redisVotesPerSec,
    postgresVotesPerSec,
    redisUsers: redisVotesPerSec / perUserVotes,
    postgresUsers: postgresVotesPerSec / perUserVotes,
    redisCommandsPerCoreSec: (u.redisCommandsPerVote.value / u.redisCpuUsPerVote.value) * 1e6,
  };
}
