// @vitest-environment jsdom
import {
  type IntegritySummary,
  type LeaderboardSearch,
  type Llm,
  type RankingsTrends,
  type VoteStatus,
  wilsonLowerBound,
} from '@llmpt/shared';
import {
  RouterProvider,
  createMemoryHistory,
  createRootRoute,
  createRouter,
} from '@tanstack/react-router';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createTRPCClient, httpLink } from '@trpc/client';
import { useState, useSyncExternalStore } from 'react';
import { afterEach, describe, expect, it } from 'vitest';

import type { HiddenResults } from '../lib/flags/hidden-results.ts';
import type { LiveRankingRow } from '../lib/live/live-contract.ts';
import { VoteController } from '../lib/votes/vote-controller.ts';
import {
  type VoteTestRouter,
  type VoteTestServer,
  startVoteTestServer,
} from '../lib/votes/testing/vote-test-server.ts';
import { Leaderboard } from './leaderboard.tsx';

// jsdom has no scrolling; the router resets the scroll position on navigation.
window.scrollTo = () => undefined;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  cleanup();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const llm = (id: string, name: string, vendor = 'Test', openWeights = false): Llm => ({
  id,
  name,
  vendor,
  family: name,
  releaseDate: null,
  openWeights,
  parametersB: null,
  contextWindow: null,
  categories: ['chat'],
  homepage: null,
  status: 'active',
});

const MODELS = [
  llm('alpha', 'Alpha', 'Acme'),
  llm('beta', 'Beta', 'Bolt', true),
  llm('gamma', 'Gamma'),
];

/** A board in rank order from [id, up, down] triples, as the live feed would deliver it. */
function board(...tallies: Array<[string, number, number]>): LiveRankingRow[] {
  return tallies.map(([id, up, down], i) => ({
    rank: i + 1,
    llm: MODELS.find((m) => m.id === id)!,
    up,
    down,
    score: up - down,
    wilson: wilsonLowerBound(up, down),
    trending: 0,
    provisional: false,
    rankRange: null,
  }));
}

/** Rows with given ranks (null: no votes yet), in the order given. */
function ranked(...rows: Array<[string, number | null, number, number]>): LiveRankingRow[] {
  return rows.map(([id, rank, up, down]) => ({
    rank,
    llm: MODELS.find((m) => m.id === id)!,
    up,
    down,
    score: up - down,
    wilson: wilsonLowerBound(up, down),
    trending: 0,
    provisional: false,
    rankRange: null,
  }));
}

/** Rows the test pushes, as the live feed pushes them into the page. */
function rowsStore(initial: LiveRankingRow[]) {
  let rows = initial;
  const listeners = new Set<() => void>();
  return {
    subscribe: (l: () => void) => (listeners.add(l), () => listeners.delete(l)),
    get: () => rows,
    set: (next: LiveRankingRow[]) =>
      act(() => {
        rows = next;
        for (const l of listeners) l();
      }),
  };
}

interface SetupOptions {
  rows?: LiveRankingRow[];
  search?: LeaderboardSearch;
  trends?: RankingsTrends;
  /** Ballots the voter already has on the server. */
  ballots?: Record<string, 1 | -1>;
  /** Results hidden until the voter votes, with the revealed tallies. */
  hidden?: HiddenResults;
  /** Statuses of the voter's ballots (issue 13): what `vote.mine` says. */
  statuses?: Record<string, VoteStatus>;
  integrity?: IntegritySummary;
  /** RANK_MIN_VOTES as the snapshot states it; a past board is read-only. */
  minVotes?: number;
  readOnly?: boolean;
}

async function setup(opts: SetupOptions = {}) {
  const server: VoteTestServer = await startVoteTestServer({
    alpha: { up: 10, down: 2 },
    beta: { up: 6, down: 1 },
    gamma: { up: 3, down: 3 },
  });
  cleanups.push(() => server.close());
  for (const [id, value] of Object.entries(opts.ballots ?? {})) server.setBallot(id, value);
  for (const [id, status] of Object.entries(opts.statuses ?? {})) server.setStatus(id, status);
  const client = createTRPCClient<VoteTestRouter>({ links: [httpLink({ url: server.url })] });
  const votes = new VoteController(client);
  const live = rowsStore(opts.rows ?? board(['alpha', 10, 2], ['beta', 6, 1], ['gamma', 3, 3]));
  const searches: LeaderboardSearch[] = [];

  function Harness() {
    const rows = useSyncExternalStore(live.subscribe, live.get);
    const [search, setSearch] = useState<LeaderboardSearch>(opts.search ?? {});
    return (
      <Leaderboard
        rows={rows}
        loading={false}
        error={null}
        onRetry={() => undefined}
        search={search}
        onSearchChange={(next) => {
          searches.push(next);
          setSearch(next);
        }}
        trends={opts.trends}
        votes={votes}
        hidden={opts.hidden}
        integrity={opts.integrity}
        minVotes={opts.minVotes}
        readOnly={opts.readOnly}
        announceEveryMs={0}
      />
    );
  }
  // Rows link to model pages, so they render inside a (memory) router, as in the app.
  const router = createRouter({
    routeTree: createRootRoute({ component: Harness }),
    history: createMemoryHistory({ initialEntries: ['/'] }),
  });
  render(<RouterProvider router={router} />);
  await screen.findByRole('searchbox', { name: 'Search models' });
  return { server, live, searches };
}

const rowOf = (id: string) => {
  const row = document.querySelector<HTMLElement>(`tbody tr[data-llm-id="${id}"]`);
  if (!row) throw new Error(`no row for ${id}`);
  return row;
};
const cell = (id: string, col: string) =>
  rowOf(id).querySelector(`[data-col="${col}"]`)?.textContent ?? null;
const rankOf = (id: string) => rowOf(id).querySelector('[data-rank-value]')?.textContent ?? null;
const order = () =>
  [...document.querySelectorAll('tbody tr[data-llm-id]')].map((r) => r.getAttribute('data-llm-id'));
const button = (name: string) => screen.getByRole<HTMLButtonElement>('button', { name });
const pressed = (name: string) => button(name).getAttribute('aria-pressed');
const alertText = () => screen.getByRole('alert').textContent;
/** Resolves once the voter's ballots are known (the vote buttons are enabled then). */
const ballotsKnown = () => waitFor(() => expect(button('Upvote Alpha').disabled).toBe(false));

describe('voting on the leaderboard', () => {
  it('shows the ballot from vote.mine, counts a vote at once, and retracts it when pressed again', async () => {
    const { server } = await setup({ ballots: { beta: -1 } });
    // Disabled until the ballots are known: a click before could not toggle correctly.
    expect(button('Upvote Alpha').disabled).toBe(true);
    await ballotsKnown();
    expect(pressed('Downvote Beta')).toBe('true');
    expect(pressed('Upvote Beta')).toBe('false');

    // Optimistic: pressed and counted before the server answers.
    server.hold();
    fireEvent.click(button('Upvote Alpha'));
    expect(pressed('Upvote Alpha')).toBe('true');
    expect(cell('alpha', 'up')).toBe('11');
    expect(cell('alpha', 'score')).toBe('9');
    server.release();
    await waitFor(() => expect(server.casts).toEqual([{ llmId: 'alpha', value: 1 }]));
    await waitFor(() => expect(button('Upvote Alpha').disabled).toBe(false));
    expect(cell('alpha', 'up')).toBe('11');

    // Pressing the pressed one retracts (value 0).
    fireEvent.click(button('Upvote Alpha'));
    expect(pressed('Upvote Alpha')).toBe('false');
    expect(cell('alpha', 'up')).toBe('10');
    await waitFor(() => expect(server.casts.at(-1)).toEqual({ llmId: 'alpha', value: 0 }));
    expect(server.tally('alpha')).toEqual({ up: 10, down: 2 });
    expect(alertText()).toBe('');
  });

  it('rolls a refused vote back and says when to try again', async () => {
    const { server } = await setup();
    await ballotsKnown();
    server.hold();
    server.answer({ kind: 'rate-limited', retryAfterSec: 42 });
    fireEvent.click(button('Downvote Gamma'));
    expect(cell('gamma', 'down')).toBe('4');
    server.release();

    await waitFor(() => expect(alertText()).toMatch(/try again in 42 s/));
    expect(alertText()).toContain('Your downvote for Gamma wasn’t counted.');
    expect(pressed('Downvote Gamma')).toBe('false');
    expect(cell('gamma', 'down')).toBe('3');

    // The next vote that goes through clears the message.
    server.answer({ kind: 'ok' });
    fireEvent.click(button('Upvote Gamma'));
    await waitFor(() => expect(alertText()).toBe(''));
    expect(pressed('Upvote Gamma')).toBe('true');
    expect(server.ballot('gamma')).toBe(1);
  });

  it('sends only the latest wish when clicks outrun the server', async () => {
    const { server } = await setup();
    await ballotsKnown();
    server.hold();
    fireEvent.click(button('Upvote Beta'));
    fireEvent.click(button('Downvote Beta'));
    fireEvent.click(button('Upvote Beta'));
    expect(pressed('Upvote Beta')).toBe('true');
    expect(cell('beta', 'up')).toBe('7');
    expect(cell('beta', 'down')).toBe('1');
    server.release();
    // One request was in flight (up); the later clicks end on "up" too, so nothing else is sent.
    await waitFor(() => expect(server.ballot('beta')).toBe(1));
    fireEvent.click(button('Downvote Beta'));
    await waitFor(() => expect(server.ballot('beta')).toBe(-1));
    expect(server.casts).toEqual([
      { llmId: 'beta', value: 1 },
      { llmId: 'beta', value: -1 },
    ]);
    expect(cell('beta', 'down')).toBe('2');
    expect(cell('beta', 'up')).toBe('6');
  });
});

describe('live updates under the pointer', () => {
  it('keeps the row order while the pointer is over the table, and says so plainly', async () => {
    const { live } = await setup();
    const zone = screen.getByRole('table', { name: 'LLM rankings' }).closest('.board')!;
    expect(order()).toEqual(['alpha', 'beta', 'gamma']);
    expect(screen.queryByTestId('order-paused')).toBeNull();

    fireEvent.pointerEnter(zone);
    live.set(board(['gamma', 30, 3], ['alpha', 10, 2], ['beta', 6, 1]));
    expect(order()).toEqual(['alpha', 'beta', 'gamma']);
    expect(rankOf('gamma')).toBe('1');
    expect(cell('gamma', 'up')).toBe('30');
    // Ranks 2, 3, 1 down the table: the notice says why, and the one row out of place is marked.
    expect(screen.getByTestId('order-paused').textContent).toBe(
      '❚❚Order paused while you use the table, so rows don’t jump: 1 model has a new rank (marked ↑).Show new order',
    );
    expect(rowOf('gamma').getAttribute('data-out-of-place')).toBe('up');
    expect(rowOf('alpha').getAttribute('data-out-of-place')).toBeNull();
    expect(rowOf('gamma').querySelector('[data-col="rank"]')?.textContent).toContain(
      'new rank: moves up when the order resumes',
    );
    const show = button('Show new order');
    expect(order()).toEqual(['alpha', 'beta', 'gamma']);

    // "Show new order" applies the new order while the pointer stays.
    fireEvent.click(show);
    expect(order()).toEqual(['gamma', 'alpha', 'beta']);
    expect(screen.queryByTestId('order-paused')).toBeNull();
    expect(document.querySelectorAll('[data-out-of-place]')).toHaveLength(0);
    live.set(board(['beta', 40, 1], ['gamma', 30, 3], ['alpha', 10, 2]));
    expect(order()).toEqual(['gamma', 'alpha', 'beta']);
    expect(rowOf('beta').getAttribute('data-out-of-place')).toBe('up');

    // Leaving the table applies the live order.
    fireEvent.pointerLeave(zone);
    expect(order()).toEqual(['beta', 'gamma', 'alpha']);
    expect(screen.queryByTestId('order-paused')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Show new order' })).toBeNull();
  });

  it('follows the live order at once when nobody is over the table, and announces the move', async () => {
    const { live } = await setup();
    const announcer = screen.getByTestId('rank-announcer');
    expect(announcer.getAttribute('aria-live')).toBe('polite');
    live.set(board(['gamma', 30, 3], ['alpha', 10, 2], ['beta', 6, 1]));
    expect(order()).toEqual(['gamma', 'alpha', 'beta']);
    await waitFor(() =>
      expect(announcer.textContent).toBe(
        'Gamma moved up 2 places to rank 1; 2 other models changed rank.',
      ),
    );
  });
});

describe('filters', () => {
  it('says when nothing matches and clears the filters', async () => {
    const { searches } = await setup({ search: { q: 'zzz', open: '1', sort: 'wilson' } });
    expect(screen.getByText(/No models match/)).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
    fireEvent.click(button('Clear filters'));
    expect(searches.at(-1)).toEqual({ sort: 'wilson' });
    await waitFor(() => expect(order()).toEqual(['alpha', 'beta', 'gamma']));
  });

  it('filters by vendor and open weights from the URL view', async () => {
    await setup({ search: { open: '1' } });
    await waitFor(() => expect(order()).toEqual(['beta']));
    cleanup();
    await setup({ search: { vendor: 'acme' } });
    await waitFor(() => expect(order()).toEqual(['alpha']));
    const vendor = screen.getByLabelText<HTMLSelectElement>('Vendor');
    expect(vendor.value).toBe('Acme');
    expect(
      within(vendor)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['All vendors', 'Acme', 'Bolt', 'Test']);
  });
});

describe('ranks', () => {
  it('reads "no votes yet" for unvoted models, lists them last and invites the first vote', async () => {
    await setup({
      rows: ranked(['alpha', null, 0, 0], ['beta', null, 0, 0], ['gamma', null, 0, 0]),
    });
    expect(screen.getByTestId('first-vote-invite').textContent).toMatch(/Be the first/);
    expect(screen.getByTestId('no-votes-group').textContent).toMatch(/^No votes yet · 3 models/);
    for (const id of ['alpha', 'beta', 'gamma']) {
      expect(rowOf(id).querySelector('[data-rank-value]')).toBeNull();
      expect(rowOf(id).querySelector('[data-no-rank]')?.textContent).toBe('–No votes yet');
      expect(cell(id, 'wilson')).toBe('–');
    }
    expect(screen.getByTestId('board-stats').textContent).toBe(
      '0 votes0 models ranked3 without votes yet',
    );
    expect(document.querySelectorAll('[data-rank-change]')).toHaveLength(0);
  });

  it('shows a shared rank on each tied model, and the unvoted under their own heading', async () => {
    await setup({ rows: ranked(['alpha', 1, 3, 1], ['beta', 1, 2, 0], ['gamma', null, 0, 0]) });
    expect(screen.queryByTestId('first-vote-invite')).toBeNull();
    expect([rankOf('alpha'), rankOf('beta')]).toEqual(['1', '1']);
    for (const id of ['alpha', 'beta']) {
      expect(rowOf(id).querySelector('[data-col="rank"]')?.textContent).toBe('=tied at 1');
    }
    // The heading row sits between the ranked and the unranked.
    const body = [...document.querySelectorAll('tbody tr')].map(
      (tr) => tr.getAttribute('data-llm-id') ?? tr.getAttribute('data-testid'),
    );
    expect(body).toEqual(['alpha', 'beta', 'no-votes-group', 'gamma']);
    expect(screen.getByTestId('board-stats').textContent).toBe(
      '6 votes2 models ranked1 without votes yet',
    );
  });

  it('compares with the rank 24 hours ago by the same rule: 47 → 2 is ▲45, no rank is no arrow', async () => {
    const trends: RankingsTrends = {
      hours: 24,
      series: {
        alpha: { score: [0, 5], rank: [null, 1] },
        beta: { score: [1, 3], rank: [47, 9] },
        gamma: { score: [4, 0], rank: [1, 1] },
      },
    };
    await setup({
      rows: ranked(['alpha', 1, 6, 0], ['beta', 2, 4, 0], ['gamma', null, 0, 0]),
      trends,
    });
    const change = (id: string) => rowOf(id).querySelector('[data-rank-change]');
    expect(change('beta')?.getAttribute('data-rank-change')).toBe('up');
    expect(change('beta')?.textContent).toBe('▲45, up 45 places in the last 24 hours');
    expect(change('alpha')).toBeNull(); // no rank 24 hours ago
    expect(change('gamma')).toBeNull(); // no rank now
  });

  it('says which rank a filtered view shows', async () => {
    await setup({ search: { q: 'alp' } });
    await waitFor(() => expect(order()).toEqual(['alpha']));
    expect(screen.getByTestId('board-count').textContent).toBe(
      'Showing 1 of 3 models · ranks are overall; filters only hide rows',
    );
    cleanup();
    await setup({ search: { category: 'chat' } });
    expect(screen.getByTestId('board-count').textContent).toBe(
      '3 models in Chat · ranks within Chat',
    );
  });

  it('finds a model whatever the punctuation: "gpt4o" finds GPT-4o', async () => {
    MODELS.push(llm('gpt-4o', 'GPT-4o', 'OpenAI'));
    try {
      await setup({
        rows: ranked(['alpha', 1, 3, 0], ['gpt-4o', 2, 1, 0]),
        search: { q: 'gpt4o' },
      });
      await waitFor(() => expect(order()).toEqual(['gpt-4o']));
    } finally {
      MODELS.pop();
    }
  });
});

describe('a counted vote', () => {
  it('shows the server’s tally at once, with a quiet confirmation', async () => {
    const { server } = await setup();
    await ballotsKnown();
    // Two votes by others that the live board hasn't carried yet: the answer counts them.
    server.othersVote('alpha', 2);
    fireEvent.click(button('Upvote Alpha'));
    const confirmation = await screen.findByTestId('vote-confirmation');
    expect(confirmation.textContent).toBe('✓ Upvote counted: Alpha now has 13 up, 2 down.');
    expect(confirmation.closest('[role="status"]')).not.toBeNull();
    // The same render shows the answer's numbers in the row, not the optimistic 11.
    expect(cell('alpha', 'up')).toBe('13');
    expect(cell('alpha', 'score')).toBe('11');
    expect(alertText()).toBe('');
  });
});

describe('results hidden until you vote', () => {
  const sealedText = (id: string) =>
    [...rowOf(id).querySelectorAll('[data-sealed]')].map((c) => c.textContent);

  it('shows “Vote to see” for models without the voter’s ballot, the tally for the others, ranks and order as they are', async () => {
    const { server } = await setup({
      ballots: { beta: 1 },
      hidden: { hide: true, revealed: new Map([['beta', { up: 6, down: 1, trending: 4.5 }]]) },
    });
    await ballotsKnown();
    expect(order()).toEqual(['alpha', 'beta', 'gamma']);
    expect([rankOf('alpha'), rankOf('beta'), rankOf('gamma')]).toEqual(['1', '2', '3']);
    // Every tally cell says why it is empty, to the eye (score) and to screen readers (all).
    expect(cell('alpha', 'score')).toBe('Vote to see');
    expect(sealedText('alpha')).toEqual([
      'Vote to see',
      '·Vote to see',
      '·Vote to see',
      '·Vote to see',
      '·Vote to see',
    ]);
    expect(cell('gamma', 'score')).toBe('Vote to see');
    expect(rowOf('alpha').textContent).not.toContain('10');
    expect([cell('beta', 'up'), cell('beta', 'down'), cell('beta', 'score')]).toEqual([
      '6',
      '1',
      '5',
    ]);
    expect(screen.getByTestId('board-stats').textContent).toContain('Results hidden');
    expect(screen.getByTestId('board-stats').textContent).not.toMatch(/\d+ votes/);

    // Voting opens the model's tally (here the row's own, which the test's rows carry).
    fireEvent.click(button('Downvote Gamma'));
    await waitFor(() => expect(server.casts).toEqual([{ llmId: 'gamma', value: -1 }]));
    expect(sealedText('gamma')).toEqual([]);
    expect(cell('gamma', 'down')).toBe('4');
    expect(cell('alpha', 'score')).toBe('Vote to see');
  });

  it('keeps rows the server sealed hidden even if the flag could not be evaluated', async () => {
    const rows = board(['alpha', 10, 2], ['beta', 6, 1], ['gamma', 3, 3]).map(
      (r): LiveRankingRow =>
        r.llm.id === 'beta' ? r : { ...r, up: 0, down: 0, score: 0, wilson: 0, sealed: true },
    );
    await setup({ rows });
    await ballotsKnown();
    expect(cell('alpha', 'score')).toBe('Vote to see');
    expect(cell('beta', 'score')).toBe('5');
  });

  it('changes nothing for a voter without the flag', async () => {
    await setup({ hidden: { hide: false, revealed: new Map() } });
    await ballotsKnown();
    expect(cell('alpha', 'score')).toBe('8');
    expect(document.querySelectorAll('[data-sealed]')).toHaveLength(0);
    expect(screen.getByTestId('board-stats').textContent).not.toContain('Results hidden');
  });
});

describe('integrity on the leaderboard (issue 13)', () => {
  it('marks the voter’s vote under review or removed and locks those models’ buttons', async () => {
    await setup({
      ballots: { alpha: 1, beta: -1, gamma: 1 },
      statuses: { alpha: 'under_review', beta: 'removed' },
    });
    await waitFor(() => expect(button('Upvote Gamma').disabled).toBe(false));
    const status = (id: string) =>
      rowOf(id).querySelector('[data-own-status]')?.getAttribute('data-own-status') ?? null;
    expect(status('alpha')).toBe('under_review');
    expect(
      within(rowOf('alpha')).getByRole('link', { name: 'Your vote: Under review' }),
    ).toBeTruthy();
    expect(status('beta')).toBe('removed');
    expect(status('gamma')).toBeNull();
    expect(button('Upvote Alpha').disabled).toBe(true);
    expect(button('Downvote Beta').disabled).toBe(true);
    expect(pressed('Upvote Alpha')).toBe('true');
    expect(button('Upvote Alpha').getAttribute('aria-describedby')).toBeTruthy();
    expect(button('Upvote Gamma').getAttribute('aria-describedby')).toBeNull();
  });

  it('shows removed votes beside the models that have some, and the total below', async () => {
    await setup({
      integrity: { version: 3, removedTotal: 1234, removedByModel: { beta: 1234 }, underReview: 0 },
    });
    const mark = rowOf('beta').querySelector('.removed-mark');
    expect(mark?.getAttribute('title')).toBe('1,234 votes removed by integrity checks');
    expect(mark?.textContent).toBe('−1,234 removed, 1,234 votes removed by integrity checks');
    expect(rowOf('alpha').querySelector('.removed-mark')).toBeNull();
    expect(screen.getByTestId('removed-total').textContent).toBe(
      '1,234 votes removed by integrity checks · how we check',
    );
  });

  it('shows no total line while nothing was removed', async () => {
    await setup({
      integrity: { version: 1, removedTotal: 0, removedByModel: {}, underReview: 0 },
    });
    expect(screen.queryByTestId('removed-total')).toBeNull();
  });
});

describe('confidence, provisional models and trending (issue 15)', () => {
  const rows = (): LiveRankingRow[] => {
    const [alpha, beta, gamma] = board(['alpha', 10, 2], ['beta', 6, 1], ['gamma', 3, 3]);
    return [
      { ...alpha!, rankRange: { best: 1, worst: 2 }, trending: 7.25 },
      { ...beta!, rankRange: { best: 1, worst: 2 }, trending: 4.5 },
      { ...gamma!, rank: null, provisional: true },
    ];
  };

  it('shows the rank range under a rank and a provisional model after the ranked ones', async () => {
    await setup({ rows: rows(), minVotes: 20 });
    const range = rowOf('alpha').querySelector<HTMLElement>('[data-rank-range]')!;
    expect(range.dataset).toMatchObject({ best: '1', worst: '2' });
    expect(range.textContent).toBe('1–2, could rank 1 to 2 at 95 % confidence');
    const mark = rowOf('gamma').querySelector<HTMLElement>('[data-provisional]')!;
    expect(mark.textContent).toBe('6/20Provisional: 6 of 20 votes');
    expect(rowOf('gamma').querySelector('[data-rank-value]')).toBeNull();
    expect(screen.getByTestId('provisional-tag').textContent).toBe('Provisional · 6 of 20 votes');
    const group = screen.getByTestId('provisional-group');
    expect(group.textContent).toMatch(/^Provisional · 1 model · ranked from 20 votes/);
    expect(group.nextElementSibling?.getAttribute('data-llm-id')).toBe('gamma');
    expect(screen.queryByTestId('no-votes-group')).toBeNull();
    expect(screen.getByTestId('board-stats').textContent).toMatch(
      /2 models ranked\s*1 provisional/,
    );
  });

  it('says "6 votes" when the minimum is not known, and adds the Trending column on that board', async () => {
    await setup({ rows: rows(), search: { sort: 'trending' } });
    expect(screen.getByTestId('provisional-tag').textContent).toBe('Provisional · 6 votes');
    expect(screen.getByRole('columnheader', { name: 'Trending' })).toBeTruthy();
    expect(cell('alpha', 'trending')).toBe('7.25');
    expect(cell('beta', 'trending')).toBe('4.5');
  });

  it('keeps every vote button off on a past board', async () => {
    await setup({ rows: rows(), readOnly: true, ballots: { alpha: 1 } });
    // The ballots are known (they enable the buttons on a live board)…
    await waitFor(() => expect(pressed('Upvote Alpha')).toBe('true'));
    // …and still nothing can be pressed.
    expect(button('Upvote Alpha').disabled).toBe(true);
    expect(button('Downvote Gamma').disabled).toBe(true);
    expect(screen.queryByRole('columnheader', { name: 'Trending' })).toBeNull();
  });
});
