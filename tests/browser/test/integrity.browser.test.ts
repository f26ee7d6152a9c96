import { mkdir } from 'node:fs/promises';

import { createAdmin, raiseFlag } from '@llmpt/db';
import type { FlagVote } from '@llmpt/db';
import { INTEGRITY_RULES, INTEGRITY_RULE_PUBLIC, type Llm } from '@llmpt/shared';
import { Voter } from '@llmpt/e2e/stack';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ARTIFACTS_DIR, type BrowserStack, startBrowserStack } from './harness.ts';
import { attrOf, h1, row, textOf, upvote } from './ui.ts';

// Issue 13 in Chromium, on the real stack: a flag raised through the integrity repository (as
// the worker's sweep raises it) is voided by the real worker through the normal path; the voter
// sees their vote "Under review", the board the removed count; an admin confirms it from the
// review queue ("Removed") or dismisses it (the vote counts again).

const ADMIN = 'ada';
const PASSWORD = 'a long enough passphrase for integrity';
/** Screenshots for people to look at: INTEGRITY_SHOTS_DIR, else the harness's artifacts. */
const SHOTS = process.env.INTEGRITY_SHOTS_DIR ?? ARTIFACTS_DIR;
const PHONE = { width: 390, height: 844 };

let s: BrowserStack;
let flagged: Llm;
let restored: Llm;

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  s = await startBrowserStack();
  [flagged, restored] = s.llms as [Llm, Llm];
  const { hashPassword } = await import('../../../apps/api/src/admin/password.ts');
  await createAdmin(s.stack.db, ADMIN, await hashPassword(PASSWORD));
});
afterAll(async () => {
  await s?.stop();
});

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, animations: 'disabled', fullPage });
}

/** The model's current non-zero ballots once the worker has flushed `n` of them to Postgres. */
async function ballotsOf(llmId: string, n: number): Promise<FlagVote[]> {
  const read = () =>
    s.stack.db
      .selectFrom('votes')
      .select(['voter_id', 'llm_id', 'value', 'updated_at'])
      .where('llm_id', '=', llmId)
      .where('value', '!=', 0)
      .execute();
  await expect.poll(async () => (await read()).length).toBe(n);
  return (await read()).map((r) => ({
    voterId: r.voter_id,
    llmId: r.llm_id,
    value: r.value as 1 | -1,
    votedAt: r.updated_at,
  }));
}

/** Raises a flag on the ballots, as the sweep's prefix rule would. */
async function raise(llmId: string, votes: FlagVote[]): Promise<void> {
  const times = votes.map((v) => v.votedAt.getTime());
  const raised = await raiseFlag(s.stack.db, {
    rule: 'prefix-new-voters',
    subject: `browser-test:${llmId}`,
    explanation: `${votes.length} new voter ids from one /24 upvoted ${llmId} within 60 s`,
    evidence: {
      windowSec: 60,
      counts: { newVoters: votes.length, sameVote: votes.length },
      thresholds: { newVoters: 2 },
      prefixHash: '7f3a9c0e5b1d2f4a6c8e0b2d4f6a8c0e',
      llmId,
      direction: 1,
      firstVoteAt: new Date(Math.min(...times)).toISOString(),
      lastVoteAt: new Date(Math.max(...times)).toISOString(),
    },
    votes,
  });
  expect(raised?.added).toBe(votes.length);
}

/** Voters of their own (api clients) upvoting `llmId`. */
async function othersUpvote(llmId: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await new Voter().client(s.baseUrl).vote.cast.mutate({ llmId, value: 1 });
  }
}

async function voterPage(): Promise<Page> {
  const { page } = await s.newPage();
  await page.goto('/');
  await expect.poll(() => attrOf(upvote(page, flagged.name), 'disabled')).toBeNull();
  return page;
}

async function adminPage(): Promise<Page> {
  const { page } = await s.newPage();
  await page.goto('/admin/integrity');
  await page.getByLabel('Username', { exact: true }).fill(ADMIN);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
  return page;
}

const ownStatus = (page: Page, llmId: string) =>
  attrOf(row(page, llmId).locator('[data-own-status]'), 'data-own-status');
const removedOn = (page: Page, llmId: string) =>
  attrOf(row(page, llmId).locator('.removed-mark'), 'data-removed');
const flagCard = (page: Page, llm: Llm): Locator =>
  page.locator('[data-flag-id]').filter({ hasText: `upvoted ${llm.id} within` });

describe('integrity: what voters and admins see', () => {
  it('a voided vote is "Under review", the board shows the removed votes, and "Removed" after confirm', async () => {
    const voter = await voterPage();
    await upvote(voter, flagged.name).click();
    await expect.poll(() => attrOf(upvote(voter, flagged.name), 'aria-pressed')).toBe('true');
    await othersUpvote(flagged.id, 2);
    await expect.poll(() => textOf(row(voter, flagged.id).locator('[data-col="score"]'))).toBe('3');

    await raise(flagged.id, await ballotsOf(flagged.id, 3));
    // The worker voids the three ballots: the score drops on screen, the voter's own vote is
    // marked, its buttons are locked with the reason.
    await expect.poll(() => ownStatus(voter, flagged.id)).toBe('under_review');
    await expect.poll(() => removedOn(voter, flagged.id)).toBe('3');
    await expect.poll(() => textOf(row(voter, flagged.id).locator('[data-score-value]'))).toBe('0');
    expect(await upvote(voter, flagged.name).isDisabled()).toBe(true);
    expect(await attrOf(upvote(voter, flagged.name), 'title')).toMatch(/^Voting is off for /);
    await expect
      .poll(() => textOf(voter.getByTestId('removed-total')))
      .toBe('3 votes removed by integrity checks (3 under review) · how we check');
    await shot(voter, 'leaderboard-removed-light');
    await voter.emulateMedia({ colorScheme: 'dark' });
    await shot(voter, 'leaderboard-removed-dark');
    await voter.setViewportSize(PHONE);
    await shot(voter, 'leaderboard-removed-phone');
    await voter.emulateMedia({ colorScheme: 'light' });
    await voter.setViewportSize({ width: 1280, height: 800 });

    // The model page says the same, and why.
    await row(voter, flagged.id).getByRole('link', { name: flagged.name, exact: true }).click();
    await expect.poll(() => textOf(h1(voter))).toBe(flagged.name);
    const status = voter.locator('.model-vote-hint [data-own-status]');
    await expect.poll(() => attrOf(status, 'data-own-status')).toBe('under_review');
    expect(await upvote(voter, flagged.name).isDisabled()).toBe(true);
    await expect.poll(() => attrOf(voter.locator('.stat .removed-mark'), 'data-removed')).toBe('3');
    await shot(voter, 'model-under-review-light');
    await voter.setViewportSize(PHONE);
    await voter.emulateMedia({ colorScheme: 'dark' });
    await shot(voter, 'model-under-review-phone-dark', true);
    await voter.emulateMedia({ colorScheme: 'light' });
    await voter.setViewportSize({ width: 1280, height: 800 });
    await voter.goBack();

    // The admin confirms it from the queue.
    const admin = await adminPage();
    const nav = admin.getByRole('navigation', { name: 'Admin' });
    await expect
      .poll(() => textOf(nav.getByTestId('integrity-pending')))
      .toBe(', 1 waiting for review');
    const card = flagCard(admin, flagged);
    await expect.poll(() => attrOf(card, 'data-status')).toBe('open');
    await shot(admin, 'admin-queue-light', true);
    await admin.emulateMedia({ colorScheme: 'dark' });
    await shot(admin, 'admin-queue-dark', true);
    await admin.setViewportSize(PHONE);
    await shot(admin, 'admin-queue-phone', true);
    await admin.setViewportSize({ width: 1280, height: 800 });
    await admin.emulateMedia({ colorScheme: 'light' });
    await card.getByRole('button', { name: 'Confirm…', exact: true }).click();
    const dialog = admin.getByRole('alertdialog', { name: /^Confirm flag #\d+\?$/ });
    expect(await textOf(dialog.locator('p'))).toBe('Its 3 votes stay removed; nobody is banned.');
    await shot(admin, 'admin-confirm-dialog');
    await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
    // Out of the pending list; under Confirmed, with who confirmed it.
    await expect.poll(() => card.count()).toBe(0);
    await admin.getByRole('button', { name: 'Confirmed', exact: true }).click();
    await expect.poll(() => attrOf(card, 'data-status')).toBe('confirmed');
    expect(await textOf(card)).toContain(`by ${ADMIN}`);

    await expect.poll(() => ownStatus(voter, flagged.id)).toBe('removed');
    expect(await upvote(voter, flagged.name).isDisabled()).toBe(true);
    await expect.poll(() => removedOn(voter, flagged.id)).toBe('3');
    await expect
      .poll(() => textOf(voter.getByTestId('removed-total')))
      .toBe('3 votes removed by integrity checks · how we check');
    await shot(voter, 'leaderboard-removed-after-confirm');
    await voter.getByTestId('removed-total').scrollIntoViewIfNeeded();
    await shot(voter, 'leaderboard-removed-total');
  });

  it('a flag raised while the queue is open appears live; dismissing it gives the vote back', async () => {
    // The queue is open (and empty) before the flag exists: it appears without a reload.
    const admin = await adminPage();
    await admin.getByText('Nothing to review.', { exact: true }).waitFor();
    const voter = await voterPage();
    await upvote(voter, restored.name).click();
    await expect.poll(() => attrOf(upvote(voter, restored.name), 'aria-pressed')).toBe('true');
    await raise(restored.id, await ballotsOf(restored.id, 1));
    await expect.poll(() => ownStatus(voter, restored.id)).toBe('under_review');
    await expect.poll(() => removedOn(voter, restored.id)).toBe('1');

    const card = flagCard(admin, restored);
    await expect.poll(() => attrOf(card, 'data-status')).toBe('open');
    await expect
      .poll(() => textOf(admin.getByTestId('integrity-pending')))
      .toBe(', 1 waiting for review');
    await card.getByRole('button', { name: 'Dismiss and restore…', exact: true }).click();
    const dialog = admin.getByRole('alertdialog', { name: /^Dismiss flag #\d+\?$/ });
    await dialog.getByRole('button', { name: 'Dismiss and restore', exact: true }).click();
    await expect.poll(() => card.count()).toBe(0);

    // Counted again: no status, the buttons work, the removed mark is gone, the vote is back.
    await expect.poll(() => ownStatus(voter, restored.id)).toBeNull();
    await expect.poll(() => removedOn(voter, restored.id)).toBeNull();
    await expect.poll(() => attrOf(upvote(voter, restored.name), 'disabled')).toBeNull();
    expect(await attrOf(upvote(voter, restored.name), 'aria-pressed')).toBe('true');
    await expect
      .poll(() => textOf(row(voter, restored.id).locator('[data-col="score"]')))
      .toBe('1');
  });

  it('the /integrity page says what is checked, without thresholds', async () => {
    const { page } = await s.newPage();
    await page.goto('/');
    await page.getByTestId('removed-total').getByRole('link', { name: 'how we check' }).click();
    await expect.poll(() => textOf(h1(page))).toBe('How votes are checked');
    for (const rule of INTEGRITY_RULES) {
      expect(await textOf(page.locator(`[data-rule="${rule}"] dt`))).toBe(
        INTEGRITY_RULE_PUBLIC[rule].title,
      );
    }
    await expect
      .poll(() => textOf(page.getByTestId('integrity-figures')))
      .toBe('So far 3 votes have been removed by these checks.');
    expect(await page.getByText('FingerprintJS').count()).toBe(1);
    await shot(page, 'integrity-page-light', true);
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'integrity-page-dark');
    await page.setViewportSize(PHONE);
    await shot(page, 'integrity-page-phone');
  });

  it('votes carry the browser fingerprint once it has loaded (its own chunk, after the page), and the automation signal', async () => {
    const target = s.llms[2]!;
    const { page } = await s.newPage();
    const sent: Array<{ fp?: unknown; webdriver?: unknown } | undefined> = [];
    page.on('request', (req) => {
      if (!req.url().includes('/trpc/vote.cast')) return;
      const body = req.postDataJSON() as { client?: { fp?: unknown; webdriver?: unknown } };
      sent.push(body.client);
    });
    await page.goto('/');
    await expect.poll(() => attrOf(upvote(page, target.name), 'disabled')).toBeNull();
    // Each click toggles the ballot and sends it; the ones before FingerprintJS answered go
    // without `fp`, and one after carries its 32-hex visitor id.
    await expect
      .poll(async () => {
        const before = sent.length;
        await upvote(page, target.name).click();
        await expect.poll(() => sent.length).toBe(before + 1);
        return sent.at(-1)?.fp;
      })
      .toMatch(/^[0-9a-f]{32}$/);
    // Playwright's Chromium says it is automated, in every vote.
    expect(sent.every((c) => c?.webdriver === true)).toBe(true);
    // The api kept its keyed hash (never the id itself) with the event.
    const fpId = sent.at(-1)?.fp as string;
    await expect
      .poll(async () => {
        const rows = await s.stack.db
          .selectFrom('user_votes')
          .select(['fp_hash', 'automated'])
          .where('llm_id', '=', target.id)
          .where('fp_hash', 'is not', null)
          .where('fp_hash', '!=', '')
          .execute();
        return rows.length > 0 && rows.every((r) => r.fp_hash !== fpId && r.automated === true);
      })
      .toBe(true);
  });
});
