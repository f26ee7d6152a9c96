import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type BrowserStack, screenshot, startBrowserStack } from './harness.ts';
import { attrOf, connectionStatus, numberIn, row, rowIds, rows, serverTally } from './ui.ts';

/**
 * Issue 16: the leaderboard subscribes to the compact, windowed feed for the ranks on screen and
 * follows the scroll (a new window bucket: a new subscription), so a row scrolled to is live.
 */

let s: BrowserStack;

beforeAll(async () => {
  s = await startBrowserStack();
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

    // To the bottom of the board: the window follows (its bucket reaches the last rows).
    const last = (await rowIds(page)).at(-1)!;
    await row(page, last).scrollIntoViewIfNeeded();
    await expect
      .poll(() => boards().some((m) => (m.input.window?.to ?? 0) >= s.llms.length))
      .toBe(true);
    expect(boards().every((m) => m.path === 'rankings.liveWindow')).toBe(true);

    const before = await serverTally(s, last);
    await s.api.vote.cast.mutate({ llmId: last, value: 1 });
    await expect.poll(() => numberIn(row(page, last), 'up')).toBe(before.up + 1);
    await screenshot(page, 'live-window-bottom');
  });
});
