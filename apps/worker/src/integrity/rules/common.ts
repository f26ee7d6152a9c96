import type { FlagInput, FlagVote, SweepEvent } from '@llmpt/db';
import type { FlagEvidence, IntegrityRule } from '@llmpt/shared';

import type { IntegrityThresholds } from '../config.ts';

/** What every rule is given besides the events. */
export interface RuleContext {
  now: Date;
  thresholds: IntegrityThresholds;
  /** Vote events per model over `thresholds.baselineSec` before the window (model-burst). */
  baseline: ReadonlyMap<string, number>;
}

/** A flag a rule wants raised (raiseFlag merges it into the active flag of its subject). */
export type FlagDraft = FlagInput;

/** A detection rule: a pure function of the window's events (oldest first). */
export interface Rule {
  name: IntegrityRule;
  detect(events: readonly SweepEvent[], ctx: RuleContext): FlagDraft[];
}

/** A current ballot with the signals of the event that cast it. */
export interface Ballot extends FlagVote {
  net: string;
  ip: string;
  automated: boolean;
}

/** The window seen as ballots: computed once per events array, shared by every rule. */
export interface BallotView {
  /** Current non-zero ballots (the last event per voter and model in the window). */
  ballots: Ballot[];
  byVoter: Map<string, Ballot[]>;
  /** Models each voter touched in the window (retractions included). */
  modelsOf: Map<string, Set<string>>;
}

const views = new WeakMap<readonly SweepEvent[], BallotView>();

export function ballotView(events: readonly SweepEvent[]): BallotView {
  const cached = views.get(events);
  if (cached) return cached;
  const last = new Map<string, SweepEvent>();
  const modelsOf = new Map<string, Set<string>>();
  for (const e of events) {
    last.set(`${e.voterId}\u0000${e.llmId}`, e);
    let models = modelsOf.get(e.voterId);
    if (!models) modelsOf.set(e.voterId, (models = new Set()));
    models.add(e.llmId);
  }
  const ballots: Ballot[] = [];
  const byVoter = new Map<string, Ballot[]>();
  for (const e of last.values()) {
    if (e.value === 0) continue;
    const b: Ballot = {
      voterId: e.voterId,
      llmId: e.llmId,
      value: e.value,
      votedAt: e.createdAt,
      net: e.signals?.net ?? '',
      ip: e.signals?.ip ?? '',
      automated: e.signals?.automated ?? false,
    };
    ballots.push(b);
    const list = byVoter.get(e.voterId) ?? [];
    list.push(b);
    byVoter.set(e.voterId, list);
  }
  const view = { ballots, byVoter, modelsOf };
  views.set(events, view);
  return view;
}

export function groupBy<T>(xs: Iterable<T>, key: (x: T) => string | null): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    if (k === null) continue;
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
}

/** The (model, direction) most of `voterIds` cast a current ballot for, with those ballots. */
export function topBallot(
  voterIds: Iterable<string>,
  view: BallotView,
): { llmId: string; direction: 1 | -1; votes: Ballot[] } | null {
  const groups = new Map<string, Ballot[]>();
  for (const id of voterIds) {
    for (const b of view.byVoter.get(id) ?? []) {
      const k = `${b.llmId}\u0000${b.value}`;
      const list = groups.get(k);
      if (list) list.push(b);
      else groups.set(k, [b]);
    }
  }
  let best: Ballot[] | null = null;
  for (const list of groups.values()) if (!best || list.length > best.length) best = list;
  if (!best?.[0]) return null;
  return { llmId: best[0].llmId, direction: best[0].value, votes: best };
}

/**
 * The "many voters, one ballot" test shared by the new-voter rules: at least `min` of the
 * group cast the same ballot, and they are at least `concentration` of the group. An honest
 * shared network (a campus NAT) has many voters but spread over many models: it fails the share.
 */
export function concentrated(
  voterIds: ReadonlySet<string>,
  view: BallotView,
  min: number,
  concentration: number,
): { llmId: string; direction: 1 | -1; votes: Ballot[] } | null {
  if (voterIds.size < min) return null;
  const top = topBallot(voterIds, view);
  if (!top || top.votes.length < min || top.votes.length / voterIds.size < concentration)
    return null;
  return top;
}

/** Evidence with the affected votes' time span filled in. */
export function evidence(
  votes: readonly FlagVote[],
  e: Omit<FlagEvidence, 'firstVoteAt' | 'lastVoteAt'>,
): FlagEvidence {
  let first = Infinity;
  let last = -Infinity;
  for (const v of votes) {
    first = Math.min(first, v.votedAt.getTime());
    last = Math.max(last, v.votedAt.getTime());
  }
  return {
    ...e,
    firstVoteAt: new Date(first).toISOString(),
    lastVoteAt: new Date(last).toISOString(),
  };
}

/** Only what raiseFlag stores of a ballot. */
export function flagVotes(ballots: readonly Ballot[]): FlagVote[] {
  return ballots.map((b) => ({
    voterId: b.voterId,
    llmId: b.llmId,
    value: b.value,
    votedAt: b.votedAt,
  }));
}

export const verb = (direction: 1 | -1) => (direction === 1 ? 'upvoted' : 'downvoted');
export const minutes = (sec: number) => `${Math.round(sec / 60)} minutes`;
export const percent = (x: number) => Math.round(x * 100);

/**
 * New voter ids (their first vote fell in the window) grouped by a signal: the basis of
 * prefix-new-voters, fingerprint-new-voters and cookie-churn.
 */
export function newVotersBy(
  events: readonly SweepEvent[],
  keyOf: (s: NonNullable<SweepEvent['signals']>) => string | null,
): Map<string, { voters: Set<string>; nets: Set<string> }> {
  const out = new Map<string, { voters: Set<string>; nets: Set<string> }>();
  for (const e of events) {
    if (!e.signals?.newVoter) continue;
    const k = keyOf(e.signals);
    if (k === null) continue;
    let g = out.get(k);
    if (!g) out.set(k, (g = { voters: new Set(), nets: new Set() }));
    g.voters.add(e.voterId);
    g.nets.add(e.signals.net);
  }
  return out;
}

/** The one network of a group, when it has one (so an admin may ban it). */
export function oneNet(nets: ReadonlySet<string>): { prefixHash?: string } {
  const [net] = nets;
  return nets.size === 1 && net ? { prefixHash: net } : {};
}
