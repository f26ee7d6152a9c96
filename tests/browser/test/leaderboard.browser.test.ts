import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { pickCategoryAndSearch, pickVendorWithOpenWeights, sorted } from './catalogue.ts';
import { type BrowserStack, screenshot, serverBallots, startBrowserStack } from './harness.ts';
import {
  CELL_COLUMNS,
  COLUMN_HEADERS,
  attrOf,
  connectionStatus,
  downvote,
  h1,
  numberIn,
  rankingsTable,
  row,
  rowIds,
  rows,
  serverTally,
  textOf,
  themeOf,
  upvote,
} from './ui.ts';

let s: BrowserStack;

beforeAll(async () => {
  // Nothing else in this file votes: three votes a minute lets one test hit the limit.
  s = await startBrowserStack({ env: { VOTE_RATE_LIMIT: '3' } });
});
afterAll(async () => {
  await s?.stop();
});

describe('leaderboard', () => {
  it('loads the SPA from the api and renders it without uncaught errors', async () => {
    const { page, pageErrors } = await s.newPage();
    const res = await page.goto('/');
    expect(res?.status()).toBe(200);
    expect(await page.title()).toBe('LLM Popularity Tracker');
    // Mounted and past its loading state: a table row or an h1 is on screen.
    await page.locator('tbody tr, h1').first().waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('lists every active model as a row under the contract’s column headers', async () => {
    const { page } = await s.newPage();
    await page.goto('/');
    await expect.poll(() => textOf(h1(page))).toBe('LLM leaderboard');
    const table = rankingsTable(page);
    await expect.poll(() => rows(page).count()).toBe(s.llms.length);
    expect(s.llms.length).toBeGreaterThan(100); // the seed's catalogue, not an empty db

    const headers = await table
      .locator('thead th[scope="col"]')
      .evaluateAll((ths) => ths.map((th) => (th.textContent ?? '').trim()));
    expect(headers).toEqual(COLUMN_HEADERS);

    const shown = await rows(page).evaluateAll((trs) =>
      trs.map((tr) => {
        const link = tr.querySelector('[data-col="model"] a');
        return {
          id: tr.getAttribute('data-llm-id') ?? '',
          cols: [...tr.querySelectorAll('[data-col]')].map((c) => c.getAttribute('data-col')),
          name: link?.textContent?.trim() ?? null,
          href: link?.getAttribute('href') ?? null,
        };
      }),
    );
    expect(sorted(shown.map((r) => r.id))).toEqual(sorted(s.llms.map((l) => l.id)));
    const byId = new Map(s.llms.map((l) => [l.id, l]));
    for (const r of shown) {
      expect(r.cols).toEqual(expect.arrayContaining([...CELL_COLUMNS]));
      expect({ name: r.name, href: r.href }).toEqual({
        name: byId.get(r.id)?.name,
        href: `/models/${r.id}`,
      });
    }

    // Every row can be voted on, and a new voter has pressed nothing.
    for (const name of [/^Upvote /, /^Downvote /]) {
      const buttons = table.getByRole('button', { name });
      expect(await buttons.count()).toBe(s.llms.length);
      const states = await buttons.evaluateAll((bs) =>
        bs.map((b) => b.getAttribute('aria-pressed')),
      );
      expect(new Set(states)).toEqual(new Set(['false']));
    }

    // Ranked by score by default: down the ranked rows scores never rise and ranks never fall;
    // the models nobody voted on come after them, with no rank.
    const shownRanks = await rows(page).evaluateAll((trs) =>
      trs.map((tr) => ({
        rank: tr.querySelector('[data-col="rank"] [data-rank-value]')?.textContent ?? null,
        noRank: tr.querySelector('[data-col="rank"] [data-no-rank]') !== null,
        score: Number(tr.querySelector('[data-col="score"]')?.textContent),
        votes:
          Number(tr.querySelector('[data-col="up"]')?.textContent) +
          Number(tr.querySelector('[data-col="down"]')?.textContent),
      })),
    );
    const ranked = shownRanks.filter((r) => r.rank !== null);
    const unranked = shownRanks.slice(ranked.length);
    expect(shownRanks.slice(0, ranked.length)).toEqual(ranked);
    for (let i = 1; i < ranked.length; i++) {
      expect(ranked[i]!.score).toBeLessThanOrEqual(ranked[i - 1]!.score);
      expect(Number(ranked[i]!.rank)).toBeGreaterThanOrEqual(Number(ranked[i - 1]!.rank));
    }
    expect(unranked.every((r) => r.noRank && r.votes === 0)).toBe(true);
    await screenshot(page, 'leaderboard-light');
  });

  it('shows the live connection, with its round trip once measured', async () => {
    const { page } = await s.newPage();
    await page.goto('/');
    const status = connectionStatus(page);
    await expect.poll(() => attrOf(status, 'data-state')).toBe('live');
    await expect.poll(() => textOf(status)).toContain('Live');
    await expect.poll(() => textOf(status), { timeout: 20_000 }).toMatch(/\d+(\.\d+)?\s?ms/);
  });

  it('narrows to a category and a search, keeps both in the URL and across a reload', async () => {
    const { category, q, expected } = pickCategoryAndSearch(s.llms);
    const { page } = await s.newPage();
    await page.goto('/');
    await expect.poll(() => rows(page).count()).toBe(s.llms.length);

    await page.getByLabel('Category', { exact: true }).selectOption(category);
    await page.getByRole('searchbox', { name: 'Search models' }).fill(q);
    await expect.poll(() => rowIds(page).then(sorted)).toEqual(expected);
    await expect
      .poll(() => Object.fromEntries(new URL(page.url()).searchParams))
      .toEqual({ q, category });

    await page.reload();
    await expect.poll(() => rowIds(page).then(sorted)).toEqual(expected);
    expect(await page.getByRole('searchbox', { name: 'Search models' }).inputValue()).toBe(q);
    expect(await page.getByLabel('Category', { exact: true }).inputValue()).toBe(category);
  });

  it('restores a vendor, open-weights and sort view from its URL, and drops defaults from it', async () => {
    const vendor = pickVendorWithOpenWeights(s.llms);
    const expected = sorted(
      s.llms.filter((l) => l.vendor === vendor && l.openWeights).map((l) => l.id),
    );
    const { page } = await s.newPage();
    await page.goto(`/?${new URLSearchParams({ vendor, open: '1', sort: 'wilson' })}`);
    await expect.poll(() => rowIds(page).then(sorted)).toEqual(expected);
    expect(await page.getByLabel('Vendor', { exact: true }).inputValue()).toBe(vendor);
    expect(await page.getByLabel('Open weights only', { exact: true }).isChecked()).toBe(true);
    expect(await page.getByLabel('Sort by', { exact: true }).inputValue()).toBe('wilson');

    // The default sort and an unticked box leave the URL.
    await page.getByLabel('Sort by', { exact: true }).selectOption('score');
    await page.getByLabel('Open weights only', { exact: true }).uncheck();
    const allOfVendor = sorted(s.llms.filter((l) => l.vendor === vendor).map((l) => l.id));
    await expect.poll(() => rowIds(page).then(sorted)).toEqual(allOfVendor);
    await expect
      .poll(() => Object.fromEntries(new URL(page.url()).searchParams))
      .toEqual({ vendor });
  });

  it('says when nothing matches, and "Clear filters" brings every model back', async () => {
    const { page } = await s.newPage();
    await page.goto(
      `/?${new URLSearchParams({ q: 'no model is called this', category: 'coding' })}`,
    );
    await page.getByText('No models match').waitFor();
    expect(await rows(page).count()).toBe(0);

    await page.getByRole('button', { name: 'Clear filters', exact: true }).click();
    await expect.poll(() => rows(page).count()).toBe(s.llms.length);
    await expect.poll(() => new URL(page.url()).search).toBe('');
    expect(await page.getByRole('searchbox', { name: 'Search models' }).inputValue()).toBe('');
  });

  it('fits a phone', async () => {
    const { page } = await s.newPage({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    await page.goto('/');
    await expect.poll(() => rows(page).count()).toBe(s.llms.length);
    await screenshot(page, 'leaderboard-phone');
    // No sideways scrolling of the page, and the first row's vote buttons are on screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      390,
    );
    const firstId = (await rowIds(page))[0];
    const first = s.llms.find((l) => l.id === firstId)!;
    for (const button of [upvote(page, first.name), downvote(page, first.name)]) {
      const box = await button.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    }
  });
});

describe('theme', () => {
  it('follows a dark colour scheme, and the Theme button switches it', async () => {
    const { page } = await s.newPage({ colorScheme: 'dark' });
    await page.goto('/');
    await expect.poll(() => themeOf(page)).toBe('dark');
    await expect.poll(() => rows(page).count()).toBe(s.llms.length);
    const darkBackground = await backgroundLuminance();
    await screenshot(page, 'leaderboard-dark');

    await page.getByRole('button', { name: /^Theme/ }).click();
    await expect.poll(() => themeOf(page)).toBe('light');
    // What a reader notices: the page itself got lighter.
    await expect.poll(backgroundLuminance).toBeGreaterThan(darkBackground + 0.3);

    const light = await s.newPage({ colorScheme: 'light' });
    await light.page.goto('/');
    await expect.poll(() => themeOf(light.page)).toBe('light');

    function backgroundLuminance(): Promise<number> {
      return page.evaluate(() => {
        // The first non-transparent background from body up: what fills the viewport.
        for (const el of [document.body, document.documentElement]) {
          const m = getComputedStyle(el)
            .backgroundColor.match(/[\d.]+/g)
            ?.map(Number);
          if (m && m.length >= 3 && (m.length < 4 || m[3] !== 0)) {
            const [r, g, b] = m.map((v) => v / 255) as [number, number, number];
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
          }
        }
        return 1; // nothing painted: the browser's white canvas
      });
    }
  });
});

describe('a vote that fails', () => {
  it('says why, and when to try again, and leaves the ballot as the server has it', async () => {
    const llm = s.llms[5]!;
    const { page, context } = await s.newPage();
    await page.goto('/');
    const up = upvote(row(page, llm.id), llm.name);
    // Three votes pass (up, retract, up); the fourth is over the limit.
    for (const expected of ['true', 'false', 'true']) {
      await up.click();
      await expect.poll(() => attrOf(up, 'aria-pressed')).toBe(expected);
    }
    const tally = await serverTally(s, llm.id);
    await up.click();
    const alert = page.getByRole('alert').filter({ hasText: /\S/ });
    await expect.poll(() => textOf(alert)).toMatch(/try again in \d+\s?s/i);
    await expect.poll(() => attrOf(up, 'aria-pressed')).toBe('true');
    await expect.poll(() => numberIn(row(page, llm.id), 'up')).toBe(tally.up);
    expect(await serverBallots(context, s.baseUrl)).toEqual({ [llm.id]: 1 });
  });
});

describe('routes', () => {
  it('shows "Page not found" for an unknown path, with a way back', async () => {
    const { page } = await s.newPage();
    await page.goto('/no/such/page');
    await expect.poll(() => textOf(h1(page))).toBe('Page not found');
    await page.getByRole('link', { name: 'Back to the leaderboard', exact: true }).click();
    await expect.poll(() => textOf(h1(page))).toBe('LLM leaderboard');
    expect(new URL(page.url()).pathname).toBe('/');
  });

  it('shows "Model not found" for an unknown model id, with a way back', async () => {
    const { page } = await s.newPage();
    await page.goto('/models/no-such-model');
    await expect.poll(() => textOf(h1(page))).toBe('Model not found');
    await page
      .getByRole('main')
      .getByRole('link', { name: /leaderboard|back/i })
      .first()
      .click();
    await expect.poll(() => textOf(h1(page))).toBe('LLM leaderboard');
  });
});
