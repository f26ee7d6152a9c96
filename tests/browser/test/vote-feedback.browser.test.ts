// A vote shows at once, from the server's answer; several open tabs keep the console clean.
// The ranker is off in this file: no live diff can bring a tally, so what the page shows after a
// vote can only come from the `vote.cast` answer.
import { Voter } from '@llmpt/e2e/stack';
import type { ConsoleMessage, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type BrowserStack, screenshot, startBrowserStack } from './harness.ts';
import { attrOf, connectionStatus, numberIn, row, rows, textOf, upvote } from './ui.ts';

let s: BrowserStack;

beforeAll(async () => {
  s = await startBrowserStack({ env: { RANKER_ENABLED: 'false' } });
});
afterAll(async () => {
  await s?.stop();
});

async function live(page: Page): Promise<void> {
  await page.goto('/');
  await expect.poll(() => rows(page).count()).toBe(s.llms.length);
  await expect.poll(() => attrOf(connectionStatus(page), 'data-state')).toBe('live');
}

describe('a vote', () => {
  it('shows the tally of the server’s answer as soon as it arrives, with a quiet confirmation', async () => {
    const llm = s.llms[7]!;
    const { page } = await s.newPage();
    await live(page);
    expect(await numberIn(row(page, llm.id), 'up')).toBe(0);
    // Three other voters, whom this page has not heard of (no ranker, so no diff).
    for (let i = 0; i < 3; i++) {
      await new Voter().client(s.baseUrl).vote.cast.mutate({ llmId: llm.id, value: 1 });
    }

    const answered = page.waitForResponse((r) => r.url().includes('/trpc/vote.cast'));
    await upvote(row(page, llm.id), llm.name).click();
    const body = (await (await answered).json()) as {
      result: { data: { up: number; down: number } };
    };
    expect(body.result.data).toMatchObject({ up: 4, down: 0 });
    // The confirmation is rendered with the answer; the row in the same DOM shows its tally
    // (the optimistic guess was 1, and no diff can arrive here).
    const confirmation = page.getByTestId('vote-confirmation');
    await confirmation.waitFor();
    const [shownUp, text] = await Promise.all([
      numberIn(row(page, llm.id), 'up'),
      textOf(confirmation),
    ]);
    expect(shownUp).toBe(4);
    expect(text).toBe(`✓ Upvote counted: ${llm.name} now has 4 up, 0 down.`);
    expect(await confirmation.evaluate((el) => el.closest('[role="status"]') !== null)).toBe(true);
    expect(await page.getByRole('alert').filter({ hasText: /\S/ }).count()).toBe(0);
    await screenshot(page, 'vote-confirmed');
  });
});

describe('several open tabs', () => {
  it('print no error and get no 429 from latency reports', async () => {
    const problems: string[] = [];
    const sent: Page[] = [];
    const answered: Array<{ page: Page; status: number }> = [];
    const watch = (page: Page) => {
      page.on('console', (m: ConsoleMessage) => {
        if (m.type() === 'error' || m.type() === 'warning') {
          problems.push(`${m.type()}: ${m.text()}`);
        }
      });
      page.on('request', (r) => {
        if (r.url().includes('/trpc/telemetry.latency')) sent.push(page);
      });
      page.on('response', (r: Response) => {
        if (r.status() === 429) problems.push(`429 from ${r.url()}`);
        if (r.url().includes('/trpc/telemetry.latency')) {
          answered.push({ page, status: r.status() });
        }
      });
    };
    // Four tabs of one browser, and four other browsers on the same network (address).
    const { context, page: first } = await s.newPage();
    const tabs = [first, ...(await Promise.all([1, 2, 3].map(() => context.newPage())))];
    const others = await Promise.all([1, 2, 3, 4].map(() => s.newPage().then((p) => p.page)));
    const pages = [...tabs, ...others];
    for (const page of pages) watch(page);
    // One after the other: eight pages loading at once on two cores is a load test.
    for (const page of pages) await live(page);
    // Every tab has measured its round trip (the moment it may report)...
    for (const page of pages) {
      await expect
        .poll(() => textOf(connectionStatus(page)), { timeout: 20_000 })
        .toMatch(/\d+ ms/);
    }
    // ...and every report sent has been answered.
    await expect.poll(() => answered.length).toBe(sent.length);

    expect(problems).toEqual([]);
    // One report for the four tabs of one browser (they share the schedule), one per other
    // browser; each answered 200.
    expect(answered.filter((r) => tabs.includes(r.page))).toHaveLength(1);
    expect(answered.filter((r) => others.includes(r.page))).toHaveLength(4);
    expect(answered.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });
});
