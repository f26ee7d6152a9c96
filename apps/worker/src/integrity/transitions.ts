import {
  type Database,
  finishTransition,
  flagsInTransition,
  markVotes,
  votesOfFlag,
} from '@llmpt/db';
import type { FlagStatus } from '@llmpt/shared';
import type { IntegrityStore, VoteStore } from '@llmpt/vote-store';
import type { Kysely } from 'kysely';

import type { Metrics } from '../metrics.ts';

/** Ballots read, moved in Redis, then marked in Postgres per step. */
const BATCH = 500;
/** Redis calls in flight at once within a step. */
const IN_FLIGHT = 50;

export interface TransitionDeps {
  db: Kysely<Database>;
  store: VoteStore;
  integrity: IntegrityStore;
  /** Announces a finished transition (api → every screen re-reads); null in tools and tests. */
  bump: (() => Promise<unknown>) | null;
  metrics: Metrics;
  log: (msg: string) => void;
  /** Test-only: 'mid-voiding' kills the process after part of a flag's ballots are voided. */
  failpoint?: 'none' | 'mid-voiding';
}

export interface TransitionResult {
  voided: number;
  restored: number;
  /** Flags that reached their next status. */
  finished: Array<{ flagId: string; status: FlagStatus }>;
}

/**
 * Moves every flag in transition one step on: a 'voiding' flag's held ballots are voided
 * through the vote path (VoteStore.voidBallot: ballot, tally, outbox → Postgres and every
 * screen), then marked 'voided', then the flag becomes 'open'; a 'restoring' flag's voided
 * ballots are restored the same way, then it becomes 'dismissed'.
 *
 * Redis first, Postgres second: a crash between the two leaves ballots marked held that Redis
 * already voided, and the next run voids them again, which the Lua script turns into nothing
 * (a ballot voided by any flag is not voided twice; a restore needs this flag's record). So
 * every ballot gets exactly one compensating event however often this is cut short, and
 * finishTransition only moves a flag on once none of its ballots is left behind.
 */
export async function runTransitions(deps: TransitionDeps): Promise<TransitionResult> {
  const result: TransitionResult = { voided: 0, restored: 0, finished: [] };
  const flags = await flagsInTransition(deps.db);
  if (flags.length === 0) return result;
  // vote.mine tells "under review" from "removed" by the flag's status: known before any ballot moves.
  await deps.integrity.setStatuses(flags.map((f) => ({ flagId: f.id, status: f.status })));
  let moved = 0;
  for (const flag of flags) {
    const voiding = flag.status === 'voiding';
    const [from, to] = voiding ? (['held', 'voided'] as const) : (['voided', 'restored'] as const);
    for (;;) {
      const batch = await votesOfFlag(deps.db, flag.id, from, BATCH);
      if (batch.length === 0) break;
      for (let i = 0; i < batch.length; i += IN_FLIGHT) {
        const outcomes = await Promise.all(
          batch
            .slice(i, i + IN_FLIGHT)
            .map((v) =>
              deps.store.voidBallot(v.voterId, v.llmId, voiding ? 'void' : 'restore', flag.id),
            ),
        );
        const done = outcomes.filter((o) => o.status === 'done' && o.eventId !== '').length;
        if (voiding) deps.metrics.integrityVotesVoided.inc(done);
        else deps.metrics.integrityVotesRestored.inc(done);
        if (voiding) result.voided += done;
        else result.restored += done;
        if (deps.failpoint === 'mid-voiding' && voiding) process.kill(process.pid, 'SIGKILL');
      }
      moved += await markVotes(deps.db, flag.id, batch, from, to);
    }
    const next = voiding ? 'open' : 'dismissed';
    if (await finishTransition(deps.db, flag.id, flag.status, next)) {
      result.finished.push({ flagId: flag.id, status: next });
      deps.log(`integrity flag ${flag.id} ${voiding ? 'voided' : 'restored'}: now ${next}`);
    }
  }
  if (result.finished.length > 0) await deps.integrity.setStatuses(result.finished);
  // Removed-vote figures and vote statuses changed: every screen re-reads them.
  if (moved > 0 || result.finished.length > 0) await deps.bump?.();
  return result;
}
