// What the voter sees of ranks (shared/DESIGN.md "Ranks"): one rule everywhere, "no votes yet",
// honest arrows, the paused order said plainly, a forgiving search and the methodology page.
// Screenshots of each state go to artifacts/ for people to look at.
import { Voter } from '@llmpt/e2e/stack';
import { type Llm, compareNames } from '@llmpt/shared';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type BrowserStack, screenshot, startBrowserStack } from './harness.ts';
import {
  attrOf,
  connectionStatus,
  h1,
  hasNoRank,
  numberIn,
  rankArrow,
  row,
  rowIds,
  rows,
  textOf,
} from './ui.ts';

const HOUR_MS = 3_600_000;
const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

let s: BrowserStack;
/** Models the tests vote on, picked from the seeded catalogue. */
let leader: Llm;
let climber: Llm;
let tiedA: Llm;
let tiedB: Llm;

beforeAll(async () => {
  s = await startBrowserStack();
  [leader, climber, tiedA, tiedB] = [s.llms[40]!, s.llms[41]!, s.llms[42]!, s.llms[43]!];
  // 20 hours ago the climber was 47th: a snapshot as the worker's roll stores it. The page
  // compares today's rank with the oldest rank of the last 24 hours.
  const hour = new Date(Math.floor((Date.now() - 20 * HOUR_MS) / HOUR_MS) * HOUR_MS);
  await s.stack.db
    .insertInto('llm_score_history')
    .values({ llm_id: climber.id, hour, upvotes: 1, downvotes: 3, score: -2, rank: 47 })
    .execute();
});
afterAll(async () => {
  await s?.stop();
});

async function votes(llm: Llm, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await new Voter().client(s.baseUrl).vote.cast.mutate({ llmId: llm.id, value: 1 });
  }
}

async function openBoard(options?: Parameters<BrowserStack['newPage']>[0]): Promise<Page> {
  const { page } = await s.newPage(options);
  await page.goto('/');
  await expect.poll(() => rows(page).count()).toBe(s.llms.length);
  await expect.poll(() => attrOf(connectionStatus(page), 'data-state')).toBe('live');
  return page;
}

describe('a fresh install', () => {
  it('reads "no votes yet" (no ranks 1–N by name), shows no arrows and invites the first vote', async () => {
    const page = await openBoard();
    await expect.poll(() => page.locator('[data-no-rank]').count()).toBe(s.llms.length);
    expect(await page.locator('tbody [data-rank-value]').count()).toBe(0);
    expect(await page.locator('[data-rank-change]').count()).toBe(0);
    expect(await textOf(page.getByTestId('first-vote-invite'))).toMatch(/Be the first/);
    expect(await textOf(page.getByTestId('no-votes-group'))).toMatch(
      new RegExp(`^No votes yet · ${s.llms.length} models`),
    );
    expect(await textOf(page.getByTestId('board-stats'))).toMatch(
      new RegExp(`^0 votes\\s*0 models ranked\\s*${s.llms.length} without votes yet`),
    );
    await screenshot(page, 'fresh-light');
    await screenshot(page, 'fresh-light-full', { fullPage: true });

    // The model page says the same.
    await page.goto(`/models/${climber.id}`);
    await expect.poll(() => textOf(page.getByTestId('model-rank'))).toBe('No votes yet');
  });

  it('fits a phone', async () => {
    const page = await openBoard(PHONE);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      390,
    );
    await screenshot(page, 'fresh-phone');
  });
});

describe('after votes', () => {
  it('ties share a rank, and a model that went from 47 to 2 shows ▲45', async () => {
    // leader 3, climber 2, tiedA 1, tiedB 1: ranks 1, 2, 3, 3; the rest have no rank.
    await votes(leader, 3);
    await votes(climber, 2);
    await votes(tiedA, 1);
    await votes(tiedB, 1);
    const page = await openBoard();
    await expect.poll(() => numberIn(row(page, tiedB.id), 'rank')).toBe(3);
    expect(await numberIn(row(page, leader.id), 'rank')).toBe(1);
    expect(await numberIn(row(page, climber.id), 'rank')).toBe(2);
    expect(await numberIn(row(page, tiedA.id), 'rank')).toBe(3);
    expect((await rowIds(page)).slice(0, 4)).toEqual(
      // Within the tie by name, as the shared rule orders it (numbers by value: 9B before 27B).
      [leader, climber, ...[tiedA, tiedB].sort(compareNames)].map((l) => l.id),
    );
    expect(await hasNoRank(row(page, s.llms[0]!.id))).toBe(true);

    // 47 → 2 is up 45; models with no rank 24 hours ago have no arrow.
    await expect.poll(() => rankArrow(row(page, climber.id))).toBe('▲45');
    expect(await textOf(row(page, climber.id).locator('[data-rank-change]'))).toContain(
      'up 45 places in the last 24 hours',
    );
    for (const llm of [leader, tiedA, tiedB]) expect(await rankArrow(row(page, llm.id))).toBeNull();
    expect(await textOf(page.getByTestId('board-stats'))).toMatch(
      new RegExp(
        `^7 votes\\s*4 models ranked\\s*${s.llms.length - 4} without votes yet\\s*Updated`,
      ),
    );
    expect(await page.getByTestId('first-vote-invite').count()).toBe(0);
    await screenshot(page, 'after-votes-light');

    const dark = await openBoard({ colorScheme: 'dark' });
    await expect.poll(() => rankArrow(row(dark, climber.id))).toBe('▲45');
    await screenshot(dark, 'after-votes-dark');

    const phone = await openBoard(PHONE);
    await expect.poll(() => rankArrow(row(phone, climber.id))).toBe('▲45');
    await screenshot(phone, 'after-votes-phone');

    // The model page shows the board's rank.
    await page.goto(`/models/${climber.id}`);
    await expect.poll(() => textOf(page.getByTestId('model-rank'))).toBe('2');
  });

  it('says which rank a filtered view shows', async () => {
    const page = await openBoard();
    await page.getByRole('searchbox', { name: 'Search models' }).fill(leader.name);
    await expect
      .poll(() => textOf(page.getByTestId('board-count')))
      .toMatch(/^Showing \d+ of \d+ models · ranks are overall; filters only hide rows$/);
    const category = leader.categories[0]!;
    await page.goto(`/?category=${category}`);
    await expect.poll(() => textOf(page.getByTestId('board-count'))).toMatch(/ · ranks within /);
  });
});

describe('while the pointer is on the table', () => {
  it('holds the order, says it is paused, marks the row that moved, and lets it move', async () => {
    const page = await openBoard();
    await expect.poll(() => numberIn(row(page, tiedA.id), 'rank')).toBe(3);
    // Pointer on the leader's row: the order holds still from now on.
    await row(page, leader.id).locator('[data-col="model"]').hover();
    const before = await rowIds(page);
    await votes(tiedA, 4); // 5 votes: first place

    await expect.poll(() => numberIn(row(page, tiedA.id), 'rank')).toBe(1);
    expect(await rowIds(page)).toEqual(before);
    const notice = page.getByTestId('order-paused');
    await expect
      .poll(() => textOf(notice))
      .toMatch(/Order paused while you use the table, so rows don’t jump: 1 model has a new rank/);
    expect(await attrOf(row(page, tiedA.id), 'data-out-of-place')).toBe('up');
    expect(await attrOf(row(page, leader.id), 'data-out-of-place')).toBeNull();
    await screenshot(page, 'paused-order');

    // Leaving the table lets the rows move: the order follows the ranks again.
    await page.mouse.move(5, 5);
    await expect.poll(() => rowIds(page).then((ids) => ids[0])).toBe(tiedA.id);
    expect(await page.getByTestId('order-paused').count()).toBe(0);
    expect(await page.locator('[data-out-of-place]').count()).toBe(0);
  });
});

describe('search', () => {
  it('"gpt4o" finds GPT-4o: punctuation and spacing don’t matter', async () => {
    const gpt4o = s.llms.find((l) => l.name === 'GPT-4o');
    if (!gpt4o) throw new Error('the seeded catalogue has no GPT-4o');
    const page = await openBoard();
    await page.getByRole('searchbox', { name: 'Search models' }).fill('gpt4o');
    await expect.poll(() => rowIds(page)).toContain(gpt4o.id);
    const names = await rows(page).locator('[data-col="model"] a').allTextContents();
    for (const name of names)
      expect(name.toLowerCase().replace(/[^a-z0-9]/g, '')).toContain('gpt4o');
    expect(names.length).toBeLessThan(s.llms.length);
  });
});

describe('the methodology page', () => {
  it('is one click from the leaderboard and says how ranks, ties and limits work', async () => {
    const page = await openBoard();
    await page.getByRole('link', { name: 'How ranking works', exact: true }).click();
    await expect.poll(() => textOf(h1(page))).toBe('How ranking works');
    expect(new URL(page.url()).pathname).toBe('/methodology');
    const text = (await page.getByRole('main').textContent()) ?? '';
    expect(text).toContain('1, 1, 3');
    expect(text).toMatch(/No votes, no rank/);
    expect(text).toMatch(/Wilson/);
    expect(text).toMatch(/limited per browser and per network/);
    await screenshot(page, 'methodology', { fullPage: true });
    await page
      .getByRole('main')
      .getByRole('link', { name: /Leaderboard/ })
      .click();
    await expect.poll(() => textOf(h1(page))).toBe('LLM leaderboard');
  });
});
