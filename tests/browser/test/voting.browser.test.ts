import { writeFile } from 'node:fs/promises';

import type { Llm } from '@llmpt/shared';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ARTIFACTS_DIR, type BrowserStack, serverBallots, startBrowserStack } from './harness.ts';
import {
  attrOf,
  connectionStatus,
  downvote,
  hasNoRank,
  numberIn,
  row,
  rows,
  serverTally,
  textOf,
  upvote,
} from './ui.ts';

let s: BrowserStack;

beforeAll(async () => {
  s = await startBrowserStack();
});
afterAll(async () => {
  await s?.stop();
});

/** Two voters on the leaderboard, both live and showing the model's current tally. */
async function twoVoters(llm: Llm) {
  const a = await s.newPage();
  const b = await s.newPage();
  const tally = await serverTally(s, llm.id);
  for (const { page } of [a, b]) {
    await page.goto('/');
    await expect.poll(() => attrOf(connectionStatus(page), 'data-state')).toBe('live');
    await expect.poll(() => counts(page, llm)).toEqual({ up: tally.up, down: tally.down });
  }
  // Set once; a reload would lose it.
  await b.page.evaluate(() => {
    (window as { notReloaded?: boolean }).notReloaded = true;
  });
  return { a, b, tally };
}

function counts(page: Page, llm: Llm) {
  const r = row(page, llm.id);
  return Promise.all([numberIn(r, 'up'), numberIn(r, 'down')]).then(([up, down]) => ({
    up,
    down,
  }));
}

function pressed(page: Page, llm: Llm) {
  const r = row(page, llm.id);
  return Promise.all([
    attrOf(upvote(r, llm.name), 'aria-pressed'),
    attrOf(downvote(r, llm.name), 'aria-pressed'),
  ]).then(([up, down]) => ({ up, down }));
}

function stillTheSamePage(page: Page) {
  return page.evaluate(() => (window as { notReloaded?: boolean }).notReloaded === true);
}

describe('voting on the leaderboard', () => {
  it('a vote in one browser moves the count and rank in another without a reload', async () => {
    // A model nobody voted on (no rank): an upvote puts it at the top, news worth announcing.
    const board = await s.api.rankings.list.query({ sort: 'score' });
    const last = board.at(-1)!;
    expect(last.rank).toBeNull();
    const llm = s.llms.find((l) => l.id === last.llm.id)!;
    const { a, b, tally } = await twoVoters(llm);
    await expect.poll(() => hasNoRank(row(b.page, llm.id))).toBe(true);

    await upvote(row(a.page, llm.id), llm.name).click();
    await expect.poll(() => pressed(a.page, llm)).toEqual({ up: 'true', down: 'false' });
    await expect.poll(() => counts(a.page, llm)).toEqual({ up: tally.up + 1, down: tally.down });
    await expect.poll(() => counts(b.page, llm)).toEqual({ up: tally.up + 1, down: tally.down });
    await expect.poll(() => numberIn(row(b.page, llm.id), 'rank')).toBe(1);
    expect(await stillTheSamePage(b.page)).toBe(true);
    // The other voter's buttons show their own (empty) ballot.
    expect(await pressed(b.page, llm)).toEqual({ up: 'false', down: 'false' });
    expect(await serverBallots(a.context, s.baseUrl)).toEqual({ [llm.id]: 1 });

    // A screen reader hears about the climb (politely, and never more than throttling allows).
    const announcer = b.page.getByTestId('rank-announcer');
    expect(await attrOf(announcer, 'aria-live')).toBe('polite');
    await expect.poll(() => textOf(announcer), { timeout: 15_000 }).toContain(llm.name);
    const box = await announcer.boundingBox();
    expect(box === null || (box.width <= 1 && box.height <= 1)).toBe(true); // visually hidden
  });

  it('pressing the pressed button again retracts the vote, everywhere', async () => {
    const llm = s.llms[17]!;
    const { a, b, tally } = await twoVoters(llm);
    const up = upvote(row(a.page, llm.id), llm.name);

    await up.click();
    await expect.poll(() => pressed(a.page, llm)).toEqual({ up: 'true', down: 'false' });
    await expect.poll(() => counts(b.page, llm)).toEqual({ up: tally.up + 1, down: tally.down });

    await up.click();
    await expect.poll(() => pressed(a.page, llm)).toEqual({ up: 'false', down: 'false' });
    await expect.poll(() => counts(a.page, llm)).toEqual({ up: tally.up, down: tally.down });
    await expect.poll(() => counts(b.page, llm)).toEqual({ up: tally.up, down: tally.down });
    expect(await stillTheSamePage(b.page)).toBe(true);

    // The server agrees: no ballot left, and Postgres (after the worker's flush) has the tally.
    expect(await serverBallots(a.context, s.baseUrl)).toEqual({});
    await expect
      .poll(() =>
        s.stack.db
          .selectFrom('llm_vote_counts')
          .select(['upvotes', 'downvotes'])
          .where('llm_id', '=', llm.id)
          .executeTakeFirst(),
      )
      .toEqual({ upvotes: tally.up, downvotes: tally.down });
    // ...and a reload shows the same.
    await a.page.reload();
    await expect.poll(() => counts(a.page, llm)).toEqual({ up: tally.up, down: tally.down });
    expect(await pressed(a.page, llm)).toEqual({ up: 'false', down: 'false' });
  });

  it('switching an upvote to a downvote moves one vote from Up to Down', async () => {
    const llm = s.llms[27]!;
    const { a, b, tally } = await twoVoters(llm);

    await upvote(row(a.page, llm.id), llm.name).click();
    await expect.poll(() => counts(b.page, llm)).toEqual({ up: tally.up + 1, down: tally.down });

    await downvote(row(a.page, llm.id), llm.name).click();
    await expect.poll(() => pressed(a.page, llm)).toEqual({ up: 'false', down: 'true' });
    await expect.poll(() => counts(a.page, llm)).toEqual({ up: tally.up, down: tally.down + 1 });
    await expect.poll(() => counts(b.page, llm)).toEqual({ up: tally.up, down: tally.down + 1 });
    expect(await serverBallots(a.context, s.baseUrl)).toEqual({ [llm.id]: -1 });
  });
});

describe('keyboard-only voting', () => {
  it('Tab reaches the first row’s vote buttons in reading order; Enter and Space vote', async () => {
    const { page } = await s.newPage();
    await page.goto('/');
    await expect.poll(() => rows(page).count()).toBe(s.llms.length);
    await expect.poll(() => attrOf(connectionStatus(page), 'data-state')).toBe('live');
    const firstId = (await rows(page).first().getAttribute('data-llm-id')) ?? '';
    const llm = s.llms.find((l) => l.id === firstId);
    if (!llm) throw new Error(`the first row (${firstId}) is not a catalogue model`);
    const target = upvote(row(page, llm.id), llm.name);
    const tally = await serverTally(s, llm.id);

    // Tab from the top of the page until the first row's Upvote has focus.
    const stops: Stop[] = [];
    while (!(await isFocused(target))) {
      if (stops.length >= 60) {
        throw new Error(`60 Tabs never reached "Upvote ${llm.name}": ${describeStops(stops)}`);
      }
      await page.keyboard.press('Tab');
      stops.push(await focused(page));
    }
    const order = describeStops(stops);
    await writeFile(`${ARTIFACTS_DIR}tab-order.txt`, `${order.replaceAll(' → ', '\n')}\n`);
    // Every stop is something a sighted keyboard user can see.
    expect(
      stops.filter((st) => !st.visible),
      order,
    ).toEqual([]);
    // The controls come before the table, the row's model link before its vote.
    const searchAt = stops.findIndex((st) => st.type === 'search');
    const firstRowAt = stops.findIndex((st) => st.llmId !== null);
    expect(searchAt, order).toBeGreaterThanOrEqual(0);
    expect(searchAt, order).toBeLessThan(firstRowAt);
    expect(stops[firstRowAt], order).toMatchObject({ llmId: llm.id, col: 'model', tag: 'a' });
    expect(
      stops.filter((st) => st.llmId !== null && st.llmId !== llm.id),
      order,
    ).toEqual([]);

    await page.keyboard.press('Enter');
    await expect.poll(() => pressed(page, llm)).toEqual({ up: 'true', down: 'false' });
    await expect.poll(() => counts(page, llm)).toEqual({ up: tally.up + 1, down: tally.down });
    expect(await isFocused(target)).toBe(true); // voting does not throw focus away

    await page.keyboard.press('Tab');
    expect(await isFocused(downvote(row(page, llm.id), llm.name))).toBe(true);
    await page.keyboard.press('Space');
    await expect.poll(() => pressed(page, llm)).toEqual({ up: 'false', down: 'true' });
    await expect.poll(() => counts(page, llm)).toEqual({ up: tally.up, down: tally.down + 1 });
    await expect
      .poll(() => serverTally(s, llm.id))
      .toMatchObject({
        up: tally.up,
        down: tally.down + 1,
      });
  });
});

interface Stop {
  tag: string;
  type: string | null;
  name: string;
  llmId: string | null;
  col: string | null;
  visible: boolean;
}

function isFocused(locator: ReturnType<typeof upvote>): Promise<boolean> {
  return locator.evaluate((el) => el === document.activeElement, undefined, { timeout: 2_000 });
}

function focused(page: Page): Promise<Stop> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) {
      return { tag: 'body', type: null, name: '', llmId: null, col: null, visible: true };
    }
    return {
      tag: el.tagName.toLowerCase(),
      type: el.getAttribute('type'),
      name: (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40),
      llmId: el.closest('tr[data-llm-id]')?.getAttribute('data-llm-id') ?? null,
      col: el.closest('[data-col]')?.getAttribute('data-col') ?? null,
      visible: el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }),
    };
  });
}

function describeStops(stops: Stop[]): string {
  return stops
    .map(
      (st) =>
        `${st.tag}${st.type ? `[${st.type}]` : ''} "${st.name}"${st.col ? ` (${st.col})` : ''}`,
    )
    .join(' → ');
}
