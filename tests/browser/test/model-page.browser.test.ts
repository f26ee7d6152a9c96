import { rollHourlyHistory } from '@llmpt/db';
import { Voter } from '@llmpt/e2e/stack';
import type { Llm } from '@llmpt/shared';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { withDetails } from './catalogue.ts';
import { type BrowserStack, screenshot, startBrowserStack } from './harness.ts';
import {
  attrOf,
  connectionStatus,
  downvote,
  h1,
  numberIn,
  row,
  rows,
  textOf,
  upvote,
} from './ui.ts';

const HOUR_MS = 3_600_000;

let s: BrowserStack;

beforeAll(async () => {
  s = await startBrowserStack();
});
afterAll(async () => {
  await s?.stop();
});

/** Whole-board overall rank of a model, as the api ranks it. */
async function serverRank(llmId: string): Promise<number | null | undefined> {
  const board = await s.api.rankings.list.query({ sort: 'score' });
  return board.find((r) => r.llm.id === llmId)?.rank;
}

/**
 * Past hours of history the way production gets them: votes through the api, flushed by the
 * worker into llm_vote_counts, snapshotted by the worker's hourly roll-up (rollHourlyHistory).
 * Ends with `hours` upvotes and one downvote.
 */
async function castHistory(llm: Llm, hours: number): Promise<void> {
  const now = Date.now();
  const counts = () =>
    s.stack.db
      .selectFrom('llm_vote_counts')
      .select(['upvotes', 'downvotes'])
      .where('llm_id', '=', llm.id)
      .executeTakeFirst();
  for (let h = hours; h >= 1; h--) {
    const cast = hours - h + 1;
    await new Voter().client(s.baseUrl).vote.cast.mutate({ llmId: llm.id, value: 1 });
    if (h === 2) await new Voter().client(s.baseUrl).vote.cast.mutate({ llmId: llm.id, value: -1 });
    await expect.poll(counts).toEqual({ upvotes: cast, downvotes: h <= 2 ? 1 : 0 });
    await rollHourlyHistory(s.stack.db, new Date(now - h * HOUR_MS));
  }
}

function tally(page: Page) {
  const t = page.getByTestId('model-tally');
  return Promise.all([numberIn(t, 'up'), numberIn(t, 'down'), numberIn(t, 'score')]).then(
    ([up, down, score]) => ({ up, down, score }),
  );
}

async function shownRank(page: Page): Promise<number> {
  const text = await textOf(page.getByTestId('model-rank'));
  return text ? Number(text.replace(/^#/, '')) : Number.NaN;
}

describe('model page', () => {
  it('opens from the leaderboard with the live tally, rank and a drawn history chart', async () => {
    const llm = withDetails(s.llms);
    await castHistory(llm, 4);
    const { page } = await s.newPage();
    await page.goto('/');
    await expect.poll(() => rows(page).count()).toBe(s.llms.length);
    await row(page, llm.id).getByRole('link', { name: llm.name, exact: true }).click();

    await expect.poll(() => new URL(page.url()).pathname).toBe(`/models/${llm.id}`);
    await expect.poll(() => textOf(h1(page))).toBe(llm.name);
    await expect.poll(() => tally(page)).toEqual({ up: 4, down: 1, score: 3 });
    await expect.poll(() => shownRank(page)).toBe(await serverRank(llm.id));
    // Its facts, whatever their wording: vendor, release year, open weights, size, context.
    const text = (await page.getByRole('main').textContent()) ?? '';
    expect(text).toContain(llm.vendor);
    expect(text).toContain(llm.releaseDate!.slice(0, 4));
    expect(text).toMatch(/open weights/i);
    expect(text).toContain(String(llm.parametersB));
    expect(text).toContain(String(Math.round(llm.contextWindow! / 1000)));

    const chart = page.getByRole('img', {
      name: `Score and rank history for ${llm.name}`,
      exact: true,
    });
    expect(await chart.evaluate((el) => el.tagName)).toBe('FIGURE');
    const canvas = chart.locator('canvas').first();
    await canvas.waitFor({ state: 'attached' });
    // Drawn, not just present: some pixel of the canvas is painted.
    await expect
      .poll(() =>
        canvas.evaluate((el: HTMLCanvasElement) => {
          if (el.width === 0 || el.height === 0) return false;
          const { data } = el.getContext('2d')!.getImageData(0, 0, el.width, el.height);
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
          return false;
        }),
      )
      .toBe(true);
    await expect.poll(() => attrOf(connectionStatus(page), 'data-state')).toBe('live');
    await screenshot(page, 'model-page');
    await screenshot(page, 'model-page-full', { fullPage: true });
  });

  it('takes a vote and shows other voters’ votes live', async () => {
    const llm = s.llms[22]!;
    const { page } = await s.newPage();
    await page.goto(`/models/${llm.id}`);
    await expect.poll(() => textOf(h1(page))).toBe(llm.name);
    await expect.poll(() => attrOf(connectionStatus(page), 'data-state')).toBe('live');
    await expect.poll(() => tally(page)).toEqual({ up: 0, down: 0, score: 0 });

    await upvote(page, llm.name).click();
    await expect.poll(() => attrOf(upvote(page, llm.name), 'aria-pressed')).toBe('true');
    expect(await attrOf(downvote(page, llm.name), 'aria-pressed')).toBe('false');
    await expect.poll(() => tally(page)).toEqual({ up: 1, down: 0, score: 1 });
    await expect
      .poll(async () => (await shownRank(page)) === (await serverRank(llm.id)))
      .toBe(true);

    // Someone else's downvote arrives without a reload.
    await new Voter().client(s.baseUrl).vote.cast.mutate({ llmId: llm.id, value: -1 });
    await expect.poll(() => tally(page)).toEqual({ up: 1, down: 1, score: 0 });
  });
});
