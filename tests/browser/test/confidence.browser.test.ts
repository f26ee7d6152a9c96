// Issue 15 on the page: rank ranges by the shared rule, provisional models becoming ranked live,
// the trending sort in the ranker's order, the board as of a past hour, the movers strip, and the
// model page's interval bar and badge snippet. Real api, worker (ranker, roll) and Chromium, with
// RANK_MIN_VOTES=3. Screenshots of each state go to artifacts/ (light, dark, phone).
import { Voter } from '@llmpt/e2e/stack';
import { type Llm, rankRanges, wilsonInterval } from '@llmpt/shared';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type BrowserStack, screenshot, startBrowserStack } from './harness.ts';
import { attrOf, connectionStatus, numberIn, row, rowIds, rows, textOf, upvote } from './ui.ts';

const HOUR_MS = 3_600_000;
const MIN_VOTES = 3;
const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

let s: BrowserStack;
/** Ranked models and their tallies [up, down]: overlapping and separate intervals. */
let tallies: Array<[Llm, number, number]>;
let provisional: Llm;
/** The past hour seeded into the history (start of the hour, 30 h ago), and its rows. */
let pastHour: Date;
let past: Array<{ llm: Llm; up: number; down: number; rank: number }>;

const hourStart = (ms: number) => new Date(Math.floor(ms / HOUR_MS) * HOUR_MS);
const isoHour = (d: Date) => `${d.toISOString().slice(0, 13)}:00:00Z`;

async function cast(llm: Llm, up: number, down: number): Promise<void> {
  const ballots = [...Array<1>(up).fill(1), ...Array<-1>(down).fill(-1)];
  // A new voter per ballot, a few at a time.
  for (let i = 0; i < ballots.length; i += 8) {
    await Promise.all(
      ballots
        .slice(i, i + 8)
        .map((value) => new Voter().client(s.baseUrl).vote.cast.mutate({ llmId: llm.id, value })),
    );
  }
}

beforeAll(async () => {
  s = await startBrowserStack({ env: { RANK_MIN_VOTES: String(MIN_VOTES) } });
  const [a, b, c, d, e, p] = s.llms.slice(10, 16) as [Llm, Llm, Llm, Llm, Llm, Llm];
  tallies = [
    [a, 30, 0],
    [b, 20, 5],
    [c, 12, 2],
    [d, 6, 1],
    [e, 4, 0],
  ];
  provisional = p;
  for (const [llm, up, down] of tallies) await cast(llm, up, down);
  await cast(provisional, MIN_VOTES - 1, 0);

  // History as the worker's roll stores it: 30 h ago (the as-of board, and the movers' "from"),
  // and the last finished hour and the current one (the movers' "to"). The worker rolled the
  // current hour at its start, before any vote was flushed (every model unranked then): those
  // rows are replaced by the tallies cast above, as its next roll would.
  pastHour = hourStart(Date.now() - 30 * HOUR_MS);
  past = [
    { llm: e, up: 9, down: 0, rank: 1 },
    { llm: a, up: 5, down: 1, rank: 2 },
    { llm: b, up: 2, down: 3, rank: 3 },
  ];
  const lastHour = hourStart(Date.now() - HOUR_MS);
  await s.stack.db
    .insertInto('llm_score_history')
    .values([
      ...past.map(({ llm, up, down, rank }) => ({
        llm_id: llm.id,
        hour: pastHour,
        upvotes: up,
        downvotes: down,
        score: up - down,
        rank,
      })),
      ...[lastHour, hourStart(Date.now())].flatMap((hour) =>
        tallies.map(([llm, up, down], i) => ({
          llm_id: llm.id,
          hour,
          upvotes: up,
          downvotes: down,
          score: up - down,
          rank: i + 1,
        })),
      ),
    ])
    .onConflict((oc) =>
      oc.columns(['llm_id', 'hour']).doUpdateSet((eb) => ({
        upvotes: eb.ref('excluded.upvotes'),
        downvotes: eb.ref('excluded.downvotes'),
        score: eb.ref('excluded.score'),
        rank: eb.ref('excluded.rank'),
      })),
    )
    .execute();
});
afterAll(async () => {
  await s?.stop();
});

async function openBoard(url = '/', options?: Parameters<BrowserStack['newPage']>[0]) {
  const { page } = await s.newPage(options);
  await page.goto(url);
  await expect.poll(() => rows(page).count()).toBe(s.llms.length);
  await expect.poll(() => attrOf(connectionStatus(page), 'data-state')).toBe('live');
  return page;
}

/** What the table shows: per row its id, rank (null: none), up, down and shown rank range. */
async function board(page: Page) {
  return rows(page).evaluateAll((trs) =>
    trs.map((tr) => {
      const num = (col: string) => Number(tr.querySelector(`[data-col="${col}"]`)?.textContent);
      const rank = tr.querySelector('[data-rank-value]')?.textContent;
      const range = tr.querySelector<HTMLElement>('[data-rank-range]');
      return {
        id: tr.getAttribute('data-llm-id') ?? '',
        rank: rank ? Number(rank) : null,
        up: num('up'),
        down: num('down'),
        trending: num('trending'),
        range: range
          ? { best: Number(range.dataset.best), worst: Number(range.dataset.worst) }
          : null,
        rangeText: range?.querySelector('[aria-hidden="true"]')?.textContent ?? null,
      };
    }),
  );
}

/** Every ranked model has reached the page (the provisional one too, once it has 3 votes). */
async function settled(page: Page): Promise<void> {
  await expect
    .poll(async () => (await board(page)).filter((r) => r.rank !== null).length)
    .toBeGreaterThanOrEqual(tallies.length);
}

describe('rank ranges', () => {
  for (const sort of ['score', 'wilson'] as const) {
    it(`match the shared rule for the rows on screen (${sort})`, async () => {
      const page = await openBoard(sort === 'score' ? '/' : '/?sort=wilson');
      await settled(page);
      const shown = await board(page);
      const expected = rankRanges(sort, shown);
      expect(shown.map((r) => r.range)).toEqual(expected);
      // At least one range spans ranks (30/0 vs 20/5 overlap on both sorts), drawn as "a–b".
      const wide = shown.filter((r) => r.range && r.range.best !== r.range.worst);
      expect(wide.length).toBeGreaterThan(0);
      for (const r of wide) expect(r.rangeText).toBe(`${r.range!.best}–${r.range!.worst}`);
      const first = row(page, wide[0]!.id).locator('[data-rank-range]');
      expect(await attrOf(first, 'title')).toBe(
        `Could rank ${wide[0]!.range!.best} to ${wide[0]!.range!.worst} at 95 % confidence`,
      );
      if (sort === 'score') {
        await screenshot(page, 'ranges-provisional-light');
        const dark = await openBoard('/', { colorScheme: 'dark' });
        await settled(dark);
        await screenshot(dark, 'ranges-provisional-dark');
        const phone = await openBoard('/', PHONE);
        await settled(phone);
        await screenshot(phone, 'ranges-provisional-phone');
      }
    });
  }
});

describe('a provisional model', () => {
  it('shows "Provisional · 2 of 3 votes" after the ranked ones and is ranked live at its 3rd vote', async () => {
    const page = await openBoard();
    await settled(page);
    const tr = row(page, provisional.id);
    const mark = tr.locator('[data-col="rank"] [data-provisional]');
    await expect.poll(() => attrOf(mark, 'data-votes')).toBe(String(MIN_VOTES - 1));
    // The minimum comes with the live snapshot's rules (the first rows may be rankings.list's).
    await expect.poll(() => attrOf(mark, 'data-min-votes')).toBe(String(MIN_VOTES));
    expect(await tr.locator('[data-rank-value]').count()).toBe(0);
    expect(await textOf(tr.getByTestId('provisional-tag'))).toBe(
      `Provisional · ${MIN_VOTES - 1} of ${MIN_VOTES} votes`,
    );
    expect(await textOf(page.getByTestId('provisional-group'))).toMatch(/^Provisional · 1 model/);
    // Listed after every ranked model, before those without votes.
    const ids = await rowIds(page);
    expect(ids.indexOf(provisional.id)).toBe(tallies.length);

    await tr.scrollIntoViewIfNeeded();
    await screenshot(page, 'provisional-light');
    for (const [name, options] of [
      ['provisional-dark', { colorScheme: 'dark' as const }],
      ['provisional-phone', PHONE],
    ] as const) {
      const other = await openBoard('/', options);
      const mine = row(other, provisional.id);
      await expect.poll(() => mine.locator('[data-provisional]').count()).toBe(1);
      await mine.scrollIntoViewIfNeeded();
      await screenshot(other, name);
    }

    await upvote(tr, provisional.name).click();
    await expect.poll(() => numberIn(row(page, provisional.id), 'rank')).toBe(tallies.length + 1);
    expect(await page.getByTestId('provisional-group').count()).toBe(0);
    expect(await row(page, provisional.id).locator('[data-provisional]').count()).toBe(0);
  });
});

describe('the trending sort', () => {
  it('shows the ranker’s trending order and values, in its own column', async () => {
    const page = await openBoard('/?sort=trending');
    expect(await page.getByLabel('Sort by').inputValue()).toBe('trending');
    expect(
      await page.locator('thead th').evaluateAll((ths) => ths.map((th) => th.textContent)),
    ).toContain('Trending');
    await settled(page);
    await expect
      .poll(async () => {
        const ranker = (await s.api.rankings.list.query({ sort: 'trending' })).filter(
          (r) => r.rank !== null,
        );
        const shown = (await board(page)).filter((r) => r.rank !== null);
        return shown.map((r) => [r.id, r.rank, r.trending]).join(' ') ===
          ranker.map((r) => [r.llm.id, r.rank, r.trending]).join(' ')
          ? 'same'
          : { shown, ranker: ranker.map((r) => [r.llm.id, r.rank, r.trending]) };
      })
      .toBe('same');
    const values = (await board(page)).filter((r) => r.rank !== null).map((r) => r.trending);
    expect(values).toEqual([...values].sort((x, y) => y - x));
    expect(values[0]).toBeGreaterThan(0);
    await screenshot(page, 'trending-light');
    await screenshot(await openBoard('/?sort=trending', { colorScheme: 'dark' }), 'trending-dark');
    await screenshot(await openBoard('/?sort=trending', PHONE), 'trending-phone');
  });
});

describe('the movers strip', () => {
  it('lists risers and fallers of 24 hours with rank and score change, linked to the model page', async () => {
    const page = await openBoard();
    const strip = page.getByTestId('movers');
    await expect.poll(() => strip.locator('li[data-llm-id]').count()).toBeGreaterThan(0);
    const movers = await s.api.rankings.movers.query({ window: '24h', limit: 5 });
    const listed = (kind: string) =>
      strip
        .locator(`[data-movers="${kind}"] li`)
        .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-llm-id')));
    // 30 h ago e, a, b ranked 1-3; now a-e ranked 1-5 (c and d new): e falls 4 places. (A roll
    // of the current hour during this file may add the provisional model, ranked since, as new
    // after them.)
    const [a, b, c, d, e] = tallies.map(([llm]) => llm.id);
    expect(movers.risers.slice(0, 4).map((m) => [m.llmId, m.rankChange])).toEqual([
      [a, 1],
      [b, 1],
      [c, null],
      [d, null],
    ]);
    expect(movers.fallers.map((m) => [m.llmId, m.rankChange])).toEqual([[e, -4]]);
    expect(await listed('risers')).toEqual(movers.risers.map((m) => m.llmId));
    expect(await listed('fallers')).toEqual(movers.fallers.map((m) => m.llmId));
    const first = movers.risers[0]!;
    const item = strip.locator(`[data-movers="risers"] li[data-llm-id="${first.llmId}"]`);
    const sign = first.scoreChange >= 0 ? '+' : '−';
    expect(await textOf(item.locator('.mover-score'))).toBe(
      `${sign}${Math.abs(first.scoreChange)}`,
    );
    expect(await item.getByRole('link').getAttribute('href')).toBe(`/models/${first.llmId}`);
    await screenshot(page, 'movers-light');
    await screenshot(await openBoard('/', { colorScheme: 'dark' }), 'movers-dark');
    const phone = await openBoard('/', PHONE);
    await expect.poll(() => phone.getByTestId('movers').isVisible()).toBe(true);
    await screenshot(phone, 'movers-phone');
    // 7 days: the history's oldest hour is 30 h old, nothing 7 days back yet.
    await strip.getByRole('button', { name: '7 days' }).click();
    await expect
      .poll(() => textOf(strip.locator('.movers-empty')))
      .toBe('No history that old yet.');
  });
});

describe('the board as of a past hour', () => {
  async function pastRows(page: Page) {
    await expect.poll(() => rows(page).count()).toBe(past.length);
    return board(page);
  }

  it('shows the stored history rows under a banner, without voting, and "Back to live" returns', async () => {
    const { page } = await s.newPage();
    await page.goto(`/?asOf=${encodeURIComponent(isoHour(pastHour))}`);
    const banner = page.getByTestId('as-of-banner');
    await expect
      .poll(() => textOf(banner))
      .toMatch(
        /^You are looking at the board as of .+ – .+ — votes are off on a past board\.Back to live$/,
      );
    const shown = await pastRows(page);
    expect(shown.map((r) => [r.id, r.rank, r.up, r.down])).toEqual(
      past.map((p) => [p.llm.id, p.rank, p.up, p.down]),
    );
    const answer = await s.api.rankings.asOf.query({ at: isoHour(pastHour) });
    expect(answer.hour).toBe(pastHour.toISOString());
    expect(shown.map((r) => r.range)).toEqual(answer.rows.map((r) => r.rankRange));
    expect(await upvote(row(page, past[0]!.llm.id), past[0]!.llm.name).isDisabled()).toBe(true);
    await screenshot(page, 'as-of-light');
    for (const [name, options] of [
      ['as-of-dark', { colorScheme: 'dark' as const }],
      ['as-of-phone', PHONE],
    ] as const) {
      const other = (await s.newPage(options)).page;
      await other.goto(`/?asOf=${encodeURIComponent(isoHour(pastHour))}`);
      await pastRows(other);
      await screenshot(other, name);
    }

    await page.getByRole('link', { name: 'Back to live' }).click();
    await expect.poll(() => new URL(page.url()).search).toBe('');
    expect(await banner.count()).toBe(0);
    await expect.poll(() => rows(page).count()).toBe(s.llms.length);
    await expect.poll(() => attrOf(connectionStatus(page), 'data-state')).toBe('live');
  });

  it('the date-time picker puts the hour in the URL', async () => {
    const page = await openBoard();
    const local = await page.evaluate((ms) => {
      const d = new Date(ms + 20 * 60_000); // 20 minutes into the hour: floored
      const p = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    }, pastHour.getTime());
    await page.getByLabel('Board as of').fill(local);
    await page.getByTestId('as-of-picker').getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('asOf')).toBe(isoHour(pastHour));
    await pastRows(page);
  });
});

describe('the model page', () => {
  it('draws the approval’s 95 % interval, the rank range and the badge snippets', async () => {
    const [llm, up, down] = tallies[1]!;
    const { page } = await s.newPage();
    await page.goto(`/models/${llm.id}`);
    const bar = page.getByTestId('approval-interval').getByRole('img');
    await expect.poll(() => attrOf(bar, 'data-point')).toBe(String(up / (up + down)));
    const [lo, hi] = wilsonInterval(up, down);
    expect(Number(await attrOf(bar, 'data-lower'))).toBe(lo);
    expect(Number(await attrOf(bar, 'data-upper'))).toBe(hi);
    expect(await attrOf(bar, 'aria-label')).toMatch(
      /^Approval 80\.0%; 95 % interval \d+\.\d% to \d+\.\d%, from 25 votes$/,
    );
    const listed = (await s.api.rankings.list.query({ sort: 'score' })).find(
      (r) => r.llm.id === llm.id,
    )!;
    const range = page.getByTestId('model-rank-range');
    await expect.poll(() => attrOf(range, 'data-best')).toBe(String(listed.rankRange!.best));
    expect(await attrOf(range, 'data-worst')).toBe(String(listed.rankRange!.worst));
    const markdown = page.locator('[data-snippet="markdown"]');
    expect(await markdown.inputValue()).toBe(
      `[![${llm.name} on the LLM leaderboard](${s.baseUrl}/badge/${llm.id}.svg)](${s.baseUrl}/models/${llm.id})`,
    );
    expect(await page.locator('[data-snippet="html"]').inputValue()).toContain(
      `<img src="${s.baseUrl}/badge/${llm.id}.svg"`,
    );
    await shootModel(page, 'model-interval-light');
    for (const [name, options] of [
      ['model-interval-dark', { colorScheme: 'dark' as const }],
      ['model-interval-phone', PHONE],
    ] as const) {
      const other = (await s.newPage(options)).page;
      await other.goto(`/models/${llm.id}`);
      await expect
        .poll(() => attrOf(other.getByTestId('model-rank-range'), 'data-best'))
        .not.toBeNull();
      await shootModel(other, name);
    }
  });
});

/** The interval bar and the badge snippets in view (they sit below the fold). */
async function shootModel(page: Page, name: string): Promise<void> {
  const target: Locator = page.getByTestId('approval-interval');
  await target.scrollIntoViewIfNeeded();
  await screenshot(page, name, { fullPage: true });
}
