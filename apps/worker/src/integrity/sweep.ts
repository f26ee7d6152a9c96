import { type Database, flagCounts, modelVoteCounts, raiseFlag, readSweepEvents } from '@llmpt/db';
import type { Kysely } from 'kysely';

import type { Metrics } from '../metrics.ts';
import type { IntegrityThresholds } from './config.ts';
import { RULES, type Rule } from './rules/index.ts';
import { type TransitionDeps, type TransitionResult, runTransitions } from './transitions.ts';

export interface SweepDeps {
  db: Kysely<Database>;
  metrics: Metrics;
  log: (msg: string) => void;
  warn: (msg: string) => void;
  thresholds: IntegrityThresholds;
  /** At most this many events are read per sweep (the newest). */
  maxEvents: number;
  /** False: no detection, only the transitions (INTEGRITY_RULES_ENABLED). Default true. */
  rulesEnabled?: boolean;
  rules?: readonly Rule[];
}

export interface RaisedFlag {
  rule: string;
  flagId: string;
  added: number;
  created: boolean;
}

/**
 * One detection pass: reads the window's vote events (and, for model-burst, each model's
 * votes over the baseline before it), runs every rule, and raises their flags. A ballot goes
 * to the first flag that blames it (RULES' order); ballots already held are skipped, so a
 * sweep over the same window raises nothing new.
 */
export async function detect(deps: SweepDeps, now = new Date()): Promise<RaisedFlag[]> {
  const t = deps.thresholds;
  const since = new Date(now.getTime() - t.windowSec * 1000);
  const [events, baseline] = await Promise.all([
    readSweepEvents(deps.db, since, deps.maxEvents),
    modelVoteCounts(deps.db, new Date(since.getTime() - t.baselineSec * 1000), since),
  ]);
  const raised: RaisedFlag[] = [];
  if (events.length === 0) return raised;
  for (const rule of deps.rules ?? RULES) {
    // Each rule is synchronous (~0.1-0.3 s over 200,000 events): the flush jobs sharing this
    // event loop get a turn between them.
    await new Promise<void>((resolve) => setImmediate(resolve));
    let drafts;
    try {
      drafts = rule.detect(events, { now, thresholds: t, baseline });
    } catch (err) {
      // One broken rule must not blind the others.
      deps.warn(`integrity rule ${rule.name} failed: ${(err as Error).message}`);
      continue;
    }
    for (const draft of drafts) {
      const r = await raiseFlag(deps.db, draft);
      if (!r || r.added === 0) continue;
      deps.metrics.integrityRuleFired.inc({ rule: rule.name });
      deps.metrics.integrityVotesFlagged.inc({ rule: rule.name }, r.added);
      if (r.created) {
        const delay = (Date.now() - Date.parse(draft.evidence.firstVoteAt)) / 1000;
        deps.metrics.integrityDetectionDelay.observe(Math.max(0, delay));
      }
      deps.log(
        `integrity ${rule.name}: flag ${r.flagId} ${r.created ? 'raised' : 'grew'} (+${r.added} ballots): ${draft.explanation}`,
      );
      raised.push({ rule: rule.name, flagId: r.flagId, added: r.added, created: r.created });
    }
  }
  return raised;
}

/** The status counts behind the integrity_flags gauge. */
export async function updateFlagGauge(db: Kysely<Database>, metrics: Metrics): Promise<void> {
  for (const [status, n] of Object.entries(await flagCounts(db)))
    metrics.integrityFlags.set({ status }, n);
}

/**
 * The `integrity-sweep` job: detect, then move every flag in transition on (new flags are
 * voided in the same run, so an attack is out of the ranking within one sweep interval).
 */
export async function integritySweep(
  deps: SweepDeps & TransitionDeps,
  now = new Date(),
): Promise<{ raised: RaisedFlag[]; transitions: TransitionResult }> {
  const stop = deps.metrics.integritySweepDuration.startTimer();
  try {
    const raised = deps.rulesEnabled === false ? [] : await detect(deps, now);
    const transitions = await runTransitions(deps);
    await updateFlagGauge(deps.db, deps.metrics);
    return { raised, transitions };
  } finally {
    stop();
  }
}

/** The `integrity-apply` job (an admin dismissed a flag): the transitions only, at once. */
export async function integrityApply(deps: TransitionDeps): Promise<TransitionResult> {
  const result = await runTransitions(deps);
  await updateFlagGauge(deps.db, deps.metrics);
  return result;
}
