import type { VoteClientSignals } from '@llmpt/shared';
import { createTRPCClient, httpLink } from '@trpc/client';
import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  type VoteTestRouter,
  type VoteTestServer,
  startVoteTestServer,
} from './testing/vote-test-server.ts';
import {
  type Ack,
  VoteController,
  ballotOf,
  displayTally,
  includesAck,
  parseMyVotes,
  statusOf,
} from './vote-controller.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(opts: { ackHoldMs?: number } = {}) {
  const server: VoteTestServer = await startVoteTestServer({ alpha: { up: 10, down: 2 } });
  cleanups.push(() => server.close());
  const client = createTRPCClient<VoteTestRouter>({ links: [httpLink({ url: server.url })] });
  const votes = new VoteController(client, opts);
  await votes.start();
  return { server, votes };
}

const ALPHA = { id: 'alpha', name: 'Alpha' };

describe('includesAck', () => {
  // An upvote from no ballot, answered with 11 up 2 down; 10/2 was on screen when it left.
  const upvote: Ack = {
    tally: { up: 11, down: 2 },
    from: 0,
    to: 1,
    liveAtSend: { up: 10, down: 2 },
  };

  it('says a live tally from before the vote does not count it', () => {
    expect(includesAck({ up: 10, down: 2 }, upvote)).toBe(false); // what was on screen
    expect(includesAck({ up: 10, down: 3 }, upvote)).toBe(false); // someone's downvote, not ours
  });

  it('says a live tally that moved as far as the answer counts it', () => {
    expect(includesAck({ up: 11, down: 2 }, upvote)).toBe(true);
    expect(includesAck({ up: 13, down: 4 }, upvote)).toBe(true); // and others' votes since
  });

  it('checks each direction a switch moved: up → down needs up ≤ and down ≥ the answer', () => {
    const flip: Ack = {
      tally: { up: 4, down: 6 },
      from: 1,
      to: -1,
      liveAtSend: { up: 5, down: 5 },
    };
    expect(includesAck({ up: 5, down: 6 }, flip)).toBe(false);
    expect(includesAck({ up: 4, down: 5 }, flip)).toBe(false);
    expect(includesAck({ up: 4, down: 6 }, flip)).toBe(true);
    const retract: Ack = {
      tally: { up: 4, down: 5 },
      from: -1,
      to: 0,
      liveAtSend: { up: 4, down: 6 },
    };
    expect(includesAck({ up: 4, down: 6 }, retract)).toBe(false);
    expect(includesAck({ up: 4, down: 5 }, retract)).toBe(true);
  });
});

describe('VoteController', () => {
  it('shows the answer’s tally at once, with a confirmation carrying it', async () => {
    const { server, votes } = await setup();
    // Three other votes landed that the page has not heard of: the answer counts them.
    server.othersVote('alpha', 3);
    const live = { up: 10, down: 2 };
    votes.vote(ALPHA, 1, live);
    // Before the answer: the optimistic guess.
    expect(displayTally(votes.getSnapshot(), 'alpha', live)).toEqual({ up: 11, down: 2 });
    await vi.waitFor(() => expect(votes.getSnapshot().confirmation).not.toBeNull());
    const state = votes.getSnapshot();
    expect(state.confirmation).toMatchObject({
      llmId: 'alpha',
      name: 'Alpha',
      value: 1,
      tally: { up: 14, down: 2 },
    });
    // The same state that carries the confirmation shows the answer's tally.
    expect(displayTally(state, 'alpha', live)).toEqual({ up: 14, down: 2 });
  });

  it('keeps the answer’s tally when a diff from before the vote arrives after it', async () => {
    const { votes } = await setup();
    votes.vote(ALPHA, 1, { up: 10, down: 2 });
    await vi.waitFor(() => expect(votes.getSnapshot().confirmation).not.toBeNull());
    const state = votes.getSnapshot();
    // The feed moves (someone else's downvote) but does not count our upvote yet.
    expect(displayTally(state, 'alpha', { up: 10, down: 3 })).toEqual({ up: 11, down: 2 });
    // Then it does: from now on the feed is shown, with whatever else happened.
    expect(displayTally(state, 'alpha', { up: 12, down: 3 })).toEqual({ up: 12, down: 3 });
  });

  it('lets go of the answer after the hold, so a lagging feed cannot pin it forever', async () => {
    const { votes } = await setup({ ackHoldMs: 50 });
    votes.vote(ALPHA, 1, { up: 10, down: 2 });
    await vi.waitFor(() => expect(votes.getSnapshot().confirmation).not.toBeNull());
    expect(displayTally(votes.getSnapshot(), 'alpha', { up: 10, down: 2 })).toEqual({
      up: 11,
      down: 2,
    });
    await vi.waitFor(() => expect(votes.getSnapshot().votes.get('alpha')?.ack).toBeNull());
    expect(displayTally(votes.getSnapshot(), 'alpha', { up: 10, down: 2 })).toEqual({
      up: 10,
      down: 2,
    });
  });

  it('confirms the newest wish only, and drops the confirmation when dismissed', async () => {
    const { server, votes } = await setup();
    server.hold();
    votes.vote(ALPHA, 1, { up: 10, down: 2 });
    votes.vote(ALPHA, -1, { up: 10, down: 2 }); // clicked again while the upvote is in flight
    server.release();
    await vi.waitFor(() => expect(server.casts).toHaveLength(2));
    await vi.waitFor(() => expect(votes.getSnapshot().confirmation?.value).toBe(-1));
    const { confirmation } = votes.getSnapshot();
    expect(confirmation?.tally).toEqual({ up: 10, down: 3 });
    votes.dismissConfirmation(confirmation!.id - 1); // an older one: ignored
    expect(votes.getSnapshot().confirmation).toBe(confirmation);
    votes.dismissConfirmation(confirmation!.id);
    expect(votes.getSnapshot().confirmation).toBeNull();
  });
});

describe('VoteController and the integrity checks (issue 13)', () => {
  it('reads each ballot’s status from vote.mine and refuses to change one under review', async () => {
    const server: VoteTestServer = await startVoteTestServer({ alpha: { up: 10, down: 2 } });
    cleanups.push(() => server.close());
    server.setBallot('alpha', 1);
    server.setStatus('alpha', 'under_review');
    const client = createTRPCClient<VoteTestRouter>({ links: [httpLink({ url: server.url })] });
    const votes = new VoteController(client);
    await votes.start();
    expect(statusOf(votes.getSnapshot(), 'alpha')).toBe('under_review');
    expect(ballotOf(votes.getSnapshot(), 'alpha')).toBe(1);
    votes.vote(ALPHA, 1, { up: 10, down: 2 });
    // Nothing sent, nothing moved on screen.
    expect(votes.getSnapshot().votes.get('alpha')?.desired).toBe(1);
    expect(server.casts).toHaveLength(0);
    // Restored after a dismissed flag: counted again, and voting works.
    server.setStatus('alpha', 'counted');
    await votes.reload();
    expect(statusOf(votes.getSnapshot(), 'alpha')).toBe('counted');
    votes.vote(ALPHA, 1, { up: 10, down: 2 });
    await vi.waitFor(() => expect(server.casts).toHaveLength(1));
    expect(server.casts[0]?.value).toBe(0);
  });

  it('shows the api’s 409 when this page didn’t know yet, then learns the status', async () => {
    const { server, votes } = await setup();
    server.setBallot('alpha', 1);
    server.setStatus('alpha', 'under_review');
    votes.vote(ALPHA, -1, { up: 10, down: 2 });
    await vi.waitFor(() => expect(votes.getSnapshot().alert).not.toBeNull());
    expect(votes.getSnapshot().alert?.message).toBe(
      'Your downvote for Alpha wasn’t counted. Your vote on this model was removed by our integrity checks and is under review: it cannot be changed until the review ends.',
    );
    await vi.waitFor(() => expect(statusOf(votes.getSnapshot(), 'alpha')).toBe('under_review'));
    expect(ballotOf(votes.getSnapshot(), 'alpha')).toBe(1);
  });

  it('shows a ban’s message and rolls the ballot back', async () => {
    const { server, votes } = await setup();
    server.answer({ kind: 'banned' });
    votes.vote(ALPHA, 1, { up: 10, down: 2 });
    await vi.waitFor(() => expect(votes.getSnapshot().alert).not.toBeNull());
    expect(votes.getSnapshot().alert?.message).toBe(
      'Your upvote for Alpha wasn’t counted. Voting from this browser is blocked for a while after a review.',
    );
    expect(ballotOf(votes.getSnapshot(), 'alpha')).toBe(0);
  });

  it('sends the browser’s signals as they are when the vote leaves, none when there are none', async () => {
    const server: VoteTestServer = await startVoteTestServer({ alpha: { up: 10, down: 2 } });
    cleanups.push(() => server.close());
    const client = createTRPCClient<VoteTestRouter>({ links: [httpLink({ url: server.url })] });
    const browser: { signals?: VoteClientSignals } = {};
    const votes = new VoteController(client, { signals: () => browser.signals });
    await votes.start();
    votes.vote(ALPHA, 1, null);
    await vi.waitFor(() => expect(server.casts).toHaveLength(1));
    expect(server.casts[0]?.client).toBeUndefined();
    await vi.waitFor(() => expect(votes.getSnapshot().votes.get('alpha')?.inFlight).toBe(false));
    browser.signals = { fp: 'a'.repeat(32), webdriver: false };
    votes.vote(ALPHA, 1, null);
    await vi.waitFor(() => expect(server.casts).toHaveLength(2));
    expect(server.casts[1]?.client).toEqual({ fp: 'a'.repeat(32), webdriver: false });
  });
});

describe('parseMyVotes', () => {
  it('keeps well-formed entries, reads bare values as counted, and skips the rest', () => {
    expect(
      parseMyVotes({
        a: { value: 1, status: 'removed' },
        b: -1,
        c: { value: 2, status: 'counted' },
        d: { value: 1, status: 'gone' },
        e: null,
      }),
    ).toEqual({ a: { value: 1, status: 'removed' }, b: { value: -1, status: 'counted' } });
    expect(parseMyVotes(null)).toEqual({});
  });
});
