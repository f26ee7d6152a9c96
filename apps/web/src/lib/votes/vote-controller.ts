import type { VoteValue } from '@llmpt/shared';

import { type Ballot, type Tally, moveBallot, nextBallot, sameTally } from '../ballot.ts';
import { errorMessage, isClientFault } from '../errors.ts';
import type { VoteApi } from './vote-contract.ts';

/** One model's voting state. */
export interface ModelVote {
  /** The ballot the server last confirmed (from `vote.mine` or a `vote.cast` answer). */
  confirmed: VoteValue;
  /** The ballot the voter wants now: what the buttons show. */
  desired: VoteValue;
  inFlight: boolean;
  /** The tally in the server's last answer, and the live tally when that request left. */
  ack: { tally: Tally; liveAtSend: Tally | null } | null;
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

/**
 * The tally to show for `llmId` given the live one: the live tally with the voter's unconfirmed
 * change applied (the optimistic part). After an answer, its tally stands in until the live feed
 * moves on from what it showed when the vote left, since the live tally may not carry the vote
 * yet; from then on the feed is assumed to include every confirmed ballot.
 */
export function displayTally(state: VoteState, llmId: string, live: Tally): Tally {
  const v = state.votes.get(llmId);
  if (!v) return live;
  const base = v.ack && sameTally(live, v.ack.liveAtSend) ? v.ack.tally : live;
  return v.confirmed === v.desired ? base : moveBallot(base, v.confirmed, v.desired);
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
  private state: VoteState = { ready: false, votes: new Map(), alert: null };
  private readonly listeners = new Set<() => void>();
  private readonly liveAt = new Map<string, Tally | null>();
  private alertSeq = 0;
  private loading: Promise<void> | null = null;

  constructor(private readonly api: VoteApi) {}

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

  /**
   * A click on `clicked` for `llm`: casts it, or retracts it when it is the current ballot.
   * `live` is the tally on screen before the optimistic change (null if unknown).
   */
  vote(llm: VoteTarget, clicked: Ballot, live: Tally | null): void {
    if (!this.state.ready) return;
    const v = this.modelVote(llm.id);
    this.liveAt.set(llm.id, live);
    this.patch(llm.id, { ...v, desired: nextBallot(v.desired, clicked) });
    if (!v.inFlight) void this.send(llm);
  }

  dismissAlert = (): void => {
    if (this.state.alert) this.set({ ...this.state, alert: null });
  };

  private async send(llm: VoteTarget): Promise<void> {
    const sent = this.modelVote(llm.id);
    const value = sent.desired;
    const liveAtSend = this.liveAt.get(llm.id) ?? null;
    this.patch(llm.id, { ...sent, inFlight: true });
    try {
      const result = await this.api.vote.cast.mutate({ llmId: llm.id, value });
      const v = this.modelVote(llm.id);
      const tally = { up: result.up, down: result.down };
      this.patch(llm.id, {
        ...v,
        confirmed: result.myVote,
        inFlight: false,
        ack: { tally, liveAtSend },
      });
      if (this.state.alert) this.set({ ...this.state, alert: null });
      // Clicked again meanwhile: send the newest wish (the answer above is already on screen).
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
      });
      if (!isClientFault(error)) await this.reload();
    }
  }

  private async readBallots(): Promise<void> {
    let mine: Record<string, 1 | -1>;
    try {
      mine = await this.api.vote.mine.query();
    } catch {
      // Unknown ballots show as none; voting still works (the server knows the truth).
      if (!this.state.ready) this.set({ ...this.state, ready: true });
      return;
    }
    const votes = new Map(this.state.votes);
    for (const [id, v] of votes) {
      // A model with a vote in flight keeps the voter's wish; its answer will confirm it.
      if (!v.inFlight) votes.set(id, { ...v, confirmed: mine[id] ?? 0, desired: mine[id] ?? 0 });
    }
    for (const [id, value] of Object.entries(mine)) {
      if (!votes.has(id))
        votes.set(id, { confirmed: value, desired: value, inFlight: false, ack: null });
    }
    this.set({ ...this.state, ready: true, votes });
  }

  private modelVote(llmId: string): ModelVote {
    return this.state.votes.get(llmId) ?? { confirmed: 0, desired: 0, inFlight: false, ack: null };
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
