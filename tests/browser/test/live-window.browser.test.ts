import { Voter } from '@llmpt/e2e/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type BrowserStack, screenshot, startBrowserStack } from './harness.ts';
import { attrOf, connectionStatus, numberIn, row, rowIds, rows, serverTally } from './ui.ts';

/**
 * Issue 16: the leaderboard subscribes to the compact, windowed feed for the ranks on screen and
 * follows the scroll (a new window bucket: a new subscription), so a row scrolled to is live.
 */

let s: BrowserStack;
/** Models ranked 1..RANKED (distinct tallies); the rest of the board stays unranked. */
const RANKED = 30;

beforeAll(async () => {
  s = await startBrowserStack();
  // Voter j votes up the first RANKED − j models: model i gets RANKED − i votes.
  await Promise.all(
    Array.from({ length: RANKED }, async (_, j) => {
      const voter = new Voter().client(s.baseUrl);
      for (const m of s.llms.slice(0, RANKED - j)) {
        await voter.vote.cast.mutate({ llmId: m.id, value: 1 });
      }
    }),
  );
  // The ranker (100 ms ticks) has ranked them all before a page opens.
  const lastRanked = s.llms[RANKED - 1]!.id;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const rows = await s.api.rankings.list.query();
    if (rows.find((r) => r.llm.id === lastRanked)?.rank === RANKED) break;
    if (Date.now() > deadline) throw new Error(`model ${lastRanked} never ranked ${RANKED}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(async () => {
  await s?.stop();
});

interface Subscribe {
  path: string;
  input: { window?: { from: number; to: number } };
}

describe('the windowed live feed', () => {
  it('subscribes for the ranks on screen, follows the scroll, and a vote on a row scrolled to shows', async () => {
    const { page } = await s.newPage({ viewport: { width: 1280, height: 720 } });
    const sent: Subscribe[] = [];
    page.on('websocket', (ws) =>
      ws.on('framesent', ({ payload }) => {
        const text = typeof payload === 'string' ? payload : payload.toString();
        if (!text.startsWith('{') && !text.startsWith('[')) return;
        const parsed = JSON.parse(text) as unknown;
        for (const m of (Array.isArray(parsed) ? parsed : [parsed]) as Array<{
          method?: string;
          params?: Subscribe;
        }>) {
          if (m.method === 'subscription' && m.params) sent.push(m.params);
        }
      }),
    );
    await page.goto('/');
    await expect.poll(() => attrOf(connectionStatus(page), 'data-state')).toBe('live');
    await expect.poll(() => rows(page).count()).toBe(s.llms.length);
    const boards = () => sent.filter((m) => m.path.startsWith('rankings.'));
    expect(boards().map((m) => [m.path, m.input.window])).toEqual([
      ['rankings.liveWindow', { from: 1, to: 25 }],
    ]);

    // To the bottom of the board (unranked models): the window follows. An unranked row counts
    // as the position after the last rank (ranked + 1), which the server's rule reads as "every
    // unranked model": the bucket 26-50, not the whole board.
    const last = (await rowIds(page)).at(-1)!;
    await row(page, last).scrollIntoViewIfNeeded();
    await expect
      .poll(() =>
        boards()
          .map((m) => m.input.window)
          .at(-1),
      )
      .toEqual({ from: 26, to: 50 });
    expect(boards().every((m) => m.path === 'rankings.liveWindow')).toBe(true);

    const before = await serverTally(s, last);
    await s.api.vote.cast.mutate({ llmId: last, value: 1 });
    await expect.poll(() => numberIn(row(page, last), 'up')).toBe(before.up + 1);
    await screenshot(page, 'live-window-bottom');
  });
});
