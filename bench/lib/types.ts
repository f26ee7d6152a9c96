/** The contract between `bench/run.ts` and each scenario in `bench/scenarios/`. */

export interface BenchOptions {
  /** `--quick`: the whole run within ~3 minutes (shorter durations, fewer subscribers). */
  quick: boolean;
  /** `--full`: 50,000 subscribers across several api and client processes (~15 minutes in all). */
  full: boolean;
  /**
   * `--tiny`: each scenario ~1–2 s and small counts (the harness test); implies `quick`, so
   * scenarios that only know quick/full stay small too.
   */
  tiny: boolean;
  /**
   * `--profile`: api and worker processes run with `--cpu-prof`; profiles land in
   * bench/results/profiles/ (open them in Chrome DevTools or speedscope for a flame graph, or
   * summarise with `node --import tsx bench/profile-summary.ts FILE`).
   */
  profile?: boolean;
  /** `--only a,b`: run just these scenarios (others are reported as skipped). */
  only: string[] | null;
}

/** A scenario's figures: flat, JSON-friendly, keyed as docs/benchmarks.md names them. */
export type ScenarioResult = Record<string, number | string | boolean | null>;

export interface BenchContext {
  opts: BenchOptions;
  /** Postgres server URL (admin: may create databases). */
  pgServerUrl: string;
  /** Redis URL; scenarios isolate themselves with their own key prefix. */
  redisUrl: string;
  repoRoot: string;
  /** Progress line on stderr (the table goes to stdout). */
  log(message: string): void;
  /** Results of scenarios already run in this process, for ratios across scenarios. */
  results: Record<string, ScenarioResult>;
}

export interface Scenario {
  name: string;
  /** One line for the table and the docs. */
  describe: string;
  /** Longer than the mode's limit per scenario (bench/run.ts), for one that holds 50,000 sockets. */
  timeLimitSec?(opts: BenchOptions): number;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}
