import type { MyVotes, VoteClientSignals, VoteStatus, VoteValue } from '@llmpt/shared';

import { type Ballot, type Tally, moveBallot, nextBallot, sameTally } from '../ballot.ts';
import { appCodeOf, errorMessage, isClientFault } from '../errors.ts';
import type { VoteApi } from './vote-contract.ts';

/** One model's voting state. */
export interface ModelVote {
  /** The ballot the server last confirmed (from `vote.mine` or a `vote.cast` answer). */
  confirmed: VoteValue;
  /** The ballot the voter wants now: what the buttons show. */
  desired: VoteValue;
  inFlight: boolean;
  /** The server's last answer for this model, shown until the live feed has caught up with it. */
  ack: Ack | null;
  /**
   * Whether the confirmed ballot counts (`vote.mine`): 'under_review' or 'removed' when the
   * integrity checks took it out. Such a ballot cannot be changed, so the buttons are disabled.
   */
  status: VoteStatus;
}

/** A `vote.cast` answer: the tally right after the ballot moved `from` → `to`. */
export interface Ack {
  tally: Tally;
  from: VoteValue;
  to: VoteValue;
  /** The live tally on screen when the vote left (it cannot include the vote). */
  liveAtSend: Tally | null;
}

/** A vote the server counted: the quiet "counted" line the page shows for a few seconds. */
export interface VoteConfirmation {
  /** New for every answer, so the same sentence twice is announced twice. */
  id: number;
  llmId: string;
  name: string;
  /** The ballot now counted (0: taken back). */
  value: VoteValue;
  /** The model's tally in the answer. */
  tally: Tally;
}

export interface VoteAlert {
  /** New for every failure, so the same sentence twice is announced twice. */
  id: number;
  message: string;
}

export interface VoteState {
  /** False until the voter's ballots are known: a click before that could not toggle right. */
  ready: boolean;
  votes: ReadonlyMap<string, ModelVote>;
  alert: VoteAlert | null;
  confirmation: VoteConfirmation | null;
}

/** The model a vote is about: its id, and its name for the alert. */
export interface VoteTarget {
  id: string;
  name: string;
}

/** The ballot the buttons of `llmId` show. */
export function ballotOf(state: VoteState, llmId: string): VoteValue {
  return state.votes.get(llmId)?.desired ?? 0;
}

/** Whether the voter's own vote on `llmId` counts ('counted' when they have none). */
export function statusOf(state: VoteState, llmId: string): VoteStatus {
  return state.votes.get(llmId)?.status ?? 'counted';
}

/**
 * `vote.mine` as ballots and statuses. Anything that is not a well-formed entry is skipped
 * (an api from before issue 13 answered bare values: those count), so a surprise in the answer
 * can hide a ballot but never break voting.
 */
export function parseMyVotes(mine: unknown): MyVotes {
  const out: MyVotes = {};
  if (typeof mine !== 'object' || mine === null) return out;
  for (const [id, entry] of Object.entries(mine as Record<string, unknown>)) {
    if (entry === 1 || entry === -1) out[id] = { value: entry, status: 'counted' };
    else if (typeof entry === 'object' && entry !== null) {
      const { value, status } = entry as { value?: unknown; status?: unknown };
      if ((value === 1 || value === -1) && isVoteStatus(status)) out[id] = { value, status };
    }
  }
  return out;
}

const isVoteStatus = (s: unknown): s is VoteStatus =>
  s === 'counted' || s === 'under_review' || s === 'removed';

/**
 * The tally to show for `llmId` given the live one. The last answer's tally stands until the live
 * tally has caught up with it: a diff computed before the vote landed, arriving after the answer,
 * must not take the vote back on screen. On top, the voter's unconfirmed change (the optimistic
 * part). The answer is let go after a few seconds (`VoteControllerOptions.ackHoldMs`) in any case.
 * @see includesAck
 */
export function displayTally(state: VoteState, llmId: string, live: Tally): Tally {
  const v = state.votes.get(llmId);
  if (!v) return live;
  const base = v.ack && !includesAck(live, v.ack) ? v.ack.tally : live;
  return v.confirmed === v.desired ? base : moveBallot(base, v.confirmed, v.desired);
}

/**
 * True when `live` already counts the acknowledged ballot change. Tallies carry no version, so
 * this asks: has the live tally moved at least as far as the answer, in each direction the
 * change moved it (an upvote: up ≥ the answer's up; a retracted downvote: down ≤ its down)? The
 * tally on screen when the vote left never counts it. Other voters moving the other way can
 * hold the answer on screen a little long; the hold's expiry bounds that.
 */
export function includesAck(live: Tally, ack: Ack): boolean {
  const du = (ack.to === 1 ? 1 : 0) - (ack.from === 1 ? 1 : 0);
  const dd = (ack.to === -1 ? 1 : 0) - (ack.from === -1 ? 1 : 0);
  if (du === 0 && dd === 0) return true;
  if (sameTally(live, ack.liveAtSend)) return false;
  const reached = (d: number, now: number, answered: number) =>
    d > 0 ? now >= answered : d < 0 ? now <= answered : true;
  return reached(du, live.up, ack.tally.up) && reached(dd, live.down, ack.tally.down);
}

export interface VoteControllerOptions {
  /** How long an answer's tally may stand in for a live tally that hasn't caught up (ms). */
  ackHoldMs?: number;
  /**
   * The browser's signals to send with a vote, read when the vote leaves (the fingerprint
   * arrives late, or never: a vote never waits for it). Absent: none sent.
   */
  signals?: () => VoteClientSignals | undefined;
}

const VERB: Record<VoteValue, string> = { 1: 'upvote', [-1]: 'downvote', 0: 'vote' };

/**
 * The voter's ballots, with optimistic updates, for `useSyncExternalStore`. Votes on one model
 * go out one at a time and the latest wish wins: clicks while a request is in flight only move
 * `desired`, and when the answer comes the latest ballot is sent if it differs (two parallel
 * requests could otherwise land in the wrong order and leave the other ballot on the server).
 * A refusal rolls the model back to its confirmed ballot and raises an alert; a request that got
 * no answer may have landed, so the ballots are then re-read.
 */
export class VoteController {
  private state: VoteState = { ready: false, votes: new Map(), alert: null, confirmation: null };
  private readonly listeners = new Set<() => void>();
  private readonly liveAt = new Map<string, Tally | null>();
  private alertSeq = 0;
  private loading: Promise<void> | null = null;
  private readonly ackHoldMs: number;
  private readonly signals: () => VoteClientSignals | undefined;

  constructor(
    private readonly api: VoteApi,
    opts: VoteControllerOptions = {},
  ) {
    this.ackHoldMs = opts.ackHoldMs ?? 10_000;
    this.signals = opts.signals ?? (() => undefined);
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): VoteState => this.state;

  /** Reads the voter's ballots, the first time only (the page calls it on every mount). */
  start(): Promise<void> {
    if (this.state.ready) return Promise.resolve();
    return this.reload();
  }

  /** Reads the voter's ballots again (after a vote whose answer was lost). */
  reload(): Promise<void> {
    this.loading ??= this.readBallots().finally(() => (this.loading = null));
    return this.loading;
  }

  /** True when the voter holds a ballot (only then can a flag have touched one of theirs). */
  hasBallots(): boolean {
    for (const v of this.state.votes.values()) if (v.confirmed !== 0) return true;
    return false;
  }

  /**
   * A click on `clicked` for `llm`: casts it, or retracts it when it is the current ballot.
   * `live` is the tally on screen before the optimistic change (null if unknown).
   */
  vote(llm: VoteTarget, clicked: Ballot, live: Tally | null): void {
    if (!this.state.ready) return;
    const v = this.modelVote(llm.id);
    // Taken out by the integrity checks: the api would refuse (409), the buttons say why.
    if (v.status !== 'counted') return;
    this.liveAt.set(llm.id, live);
    this.patch(llm.id, { ...v, desired: nextBallot(v.desired, clicked) });
    if (!v.inFlight) void this.send(llm);
  }

  dismissAlert = (): void => {
    if (this.state.alert) this.set({ ...this.state, alert: null });
  };

  /** Hides the "counted" line `id` (if it is still the one shown). */
  dismissConfirmation = (id: number): void => {
    if (this.state.confirmation?.id === id) this.set({ ...this.state, confirmation: null });
  };

  private async send(llm: VoteTarget): Promise<void> {
    const sent = this.modelVote(llm.id);
    const value = sent.desired;
    const liveAtSend = this.liveAt.get(llm.id) ?? null;
    this.patch(llm.id, { ...sent, inFlight: true });
    try {
      const client = this.signals();
      const result = await this.api.vote.cast.mutate(
        client ? { llmId: llm.id, value, client } : { llmId: llm.id, value },
      );
      const v = this.modelVote(llm.id);
      const tally = { up: result.up, down: result.down };
      const ack: Ack = { tally, from: sent.confirmed, to: result.myVote, liveAtSend };
      this.patch(llm.id, { ...v, confirmed: result.myVote, inFlight: false, ack });
      this.holdAck(llm.id, ack);
      this.alertSeq += 1;
      this.set({
        ...this.state,
        alert: null,
        // Clicked again meanwhile: the newer wish goes out next; confirm that one instead.
        confirmation:
          v.desired === result.myVote
            ? { id: this.alertSeq, llmId: llm.id, name: llm.name, value: result.myVote, tally }
            : this.state.confirmation,
      });
      if (v.desired !== result.myVote) await this.send(llm);
    } catch (error) {
      const v = this.modelVote(llm.id);
      this.patch(llm.id, { ...v, desired: v.confirmed, inFlight: false });
      const what =
        value === 0
          ? `Taking back your vote on ${llm.name}`
          : `Your ${VERB[value]} for ${llm.name}`;
      const failed = value === 0 ? 'didn’t work' : 'wasn’t counted';
      this.alertSeq += 1;
      this.set({
        ...this.state,
        alert: { id: this.alertSeq, message: `${what} ${failed}. ${errorMessage(error)}` },
        confirmation: null,
      });
      // No answer: it may have landed. Under review: this page didn't know yet, learn the status.
      if (!isClientFault(error) || appCodeOf(error) === 'VOTE_UNDER_REVIEW') await this.reload();
    }
  }

  private async readBallots(): Promise<void> {
    let mine: MyVotes;
    try {
      mine = parseMyVotes(await this.api.vote.mine.query());
    } catch {
      // Unknown ballots show as none; voting still works (the server knows the truth).
      if (!this.state.ready) this.set({ ...this.state, ready: true });
      return;
    }
    const votes = new Map(this.state.votes);
    for (const [id, v] of votes) {
      // A model with a vote in flight keeps the voter's wish; its answer will confirm it.
      const m = mine[id];
      const value = m?.value ?? 0;
      if (!v.inFlight)
        votes.set(id, { ...v, confirmed: value, desired: value, status: m?.status ?? 'counted' });
    }
    for (const [id, { value, status }] of Object.entries(mine)) {
      if (!votes.has(id))
        votes.set(id, { confirmed: value, desired: value, inFlight: false, ack: null, status });
    }
    this.set({ ...this.state, ready: true, votes });
  }

  /** Lets go of `ack` after the hold, unless a newer answer replaced it. */
  private holdAck(llmId: string, ack: Ack): void {
    setTimeout(() => {
      const v = this.state.votes.get(llmId);
      if (v?.ack === ack) this.patch(llmId, { ...v, ack: null });
    }, this.ackHoldMs);
  }

  private modelVote(llmId: string): ModelVote {
    return (
      this.state.votes.get(llmId) ?? {
        confirmed: 0,
        desired: 0,
        inFlight: false,
        ack: null,
        status: 'counted',
      }
    );
  }

  private patch(llmId: string, v: ModelVote): void {
    const votes = new Map(this.state.votes);
    votes.set(llmId, v);
    this.set({ ...this.state, votes });
  }

  private set(next: VoteState): void {
    this.state = next;
    for (const listener of [...this.listeners]) listener();
  }
}
