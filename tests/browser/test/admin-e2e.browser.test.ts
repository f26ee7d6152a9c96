import { createAdmin } from '@llmpt/db';
import type { FlagEvaluation } from '@llmpt/shared';
import type { BrowserContextOptions, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type BrowserStack, screenshot, startBrowserStack } from './harness.ts';
import { h1, row, rowIds, rows, textOf, upvote } from './ui.ts';

// Issue 12's scenario end to end, in Chromium: an admin on api A changes the catalogue and turns
// 'hide-results' on as an experiment; voters' pages open on api B follow without a reload. Two
// api processes share one database and Redis prefix, with one worker. The admin page is driven
// by its accessible names only (its contract, shared with admin.browser.test.ts).

const ADMIN = 'grace';
const PASSWORD = 'a long enough passphrase for e2e';
const FLAG = 'hide-results';
const VOTERS = Number(process.env.E2E_VOTERS ?? 1_000);
const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
};

let s: BrowserStack;
let apiA: string;
let apiB: string;

beforeAll(async () => {
  s = await startBrowserStack({ apis: 2 });
  [apiA, apiB] = s.baseUrls as [string, string];
  // As `npm run admin:create` does: the api's own argon2id hash, stored by the repository.
  const { hashPassword } = await import('../../../apps/api/src/admin/password.ts');
  await createAdmin(s.stack.db, ADMIN, await hashPassword(PASSWORD));
});
afterAll(async () => {
  await s?.stop();
});

async function adminPage(): Promise<Page> {
  const { page } = await s.newPage({ baseURL: apiA });
  await page.goto('/admin');
  await page.getByLabel('Username', { exact: true }).fill(ADMIN);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
  return page;
}

function navLink(page: Page, name: string): Locator {
  return page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name, exact: true });
}

/** Marks the page's window: the mark is gone after any reload or full navigation. */
async function markNoReload(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate(() => {
    (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
  });
  return () =>
    page.evaluate(
      () => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true,
    );
}

/** A one-off read (polls use `textOf`, which gives up after 500 ms and is asked again). */
async function readText(locator: Locator): Promise<string | null> {
  return (await locator.textContent({ timeout: 10_000 }))?.trim() ?? null;
}

/** `flags.evaluate` over plain HTTP, with no cookie: a fresh voter id each time. */
async function evaluateFresh(
  baseUrl: string,
): Promise<{ evaluation: FlagEvaluation; cookie: string }> {
  const res = await fetch(`${baseUrl}/trpc/flags.evaluate`);
  if (!res.ok) throw new Error(`flags.evaluate answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { result: { data: FlagEvaluation } };
  const vid = res.headers.getSetCookie().find((c) => c.startsWith('vid='));
  if (!vid) throw new Error('flags.evaluate set no voter cookie for a new voter');
  return { evaluation: body.result.data, cookie: vid.split(';')[0]!.slice('vid='.length) };
}

/** `experiment_exposures_total{flag, variant}` on one api's /metrics. */
async function exposures(metricsUrl: string): Promise<{ on: number; off: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const read = (variant: string) => {
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('experiment_exposures_total{') &&
          l.includes(`flag="${FLAG}"`) &&
          l.includes(`variant="${variant}"`),
      );
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  return { on: read('on'), off: read('off') };
}

describe('admin changes reach voters on another api process (issue 12)', () => {
  it('a rename and a new model show on an open voter page without reload, and the audit log has both', async () => {
    const renamed = s.llms[3]!;
    const newName = `${renamed.name} Renamed`;
    const added = { id: 'e2e-new-model', name: 'E2E New Model', vendor: 'E2E Labs' };

    // A voter's board and the renamed model's page, open on api B before the change.
    const voter = await s.newPage({ baseURL: apiB });
    await voter.page.goto('/');
    await expect.poll(() => rows(voter.page).count()).toBe(s.llms.length);
    const boardSame = await markNoReload(voter.page);
    const modelTab = await voter.context.newPage();
    await modelTab.goto(`/models/${renamed.id}`);
    await expect.poll(() => textOf(h1(modelTab))).toBe(renamed.name);
    const modelSame = await markNoReload(modelTab);

    const admin = await adminPage();
    await navLink(admin, 'Catalogue').click();
    await admin.getByRole('button', { name: `Edit ${renamed.name}`, exact: true }).click();
    await admin.getByLabel('Name', { exact: true }).fill(newName);
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.getByRole('button', { name: `Edit ${newName}`, exact: true }).waitFor();

    await admin.getByRole('button', { name: 'Add model', exact: true }).click();
    await admin.getByLabel('Id', { exact: true }).fill(added.id);
    await admin.getByLabel('Name', { exact: true }).fill(added.name);
    await admin.getByLabel('Vendor', { exact: true }).fill(added.vendor);
    await admin.getByLabel('Family', { exact: true }).fill('E2E');
    await admin
      .getByRole('group', { name: 'Categories' })
      .getByRole('checkbox', { name: 'Chat', exact: true })
      .check();
    await admin.getByLabel('Status', { exact: true }).selectOption('active');
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.getByRole('button', { name: `Edit ${added.name}`, exact: true }).waitFor();

    // The open pages on the other api: both changes, the same document.
    await expect
      .poll(() => textOf(row(voter.page, renamed.id).locator('[data-col="model"] a')))
      .toBe(newName);
    await expect
      .poll(() => textOf(row(voter.page, added.id).locator('[data-col="model"] a')))
      .toBe(added.name);
    expect(await rows(voter.page).count()).toBe(s.llms.length + 1);
    expect(await boardSame()).toBe(true);
    await expect.poll(() => textOf(h1(modelTab))).toBe(newName);
    expect(await modelSame()).toBe(true);
    expect(voter.pageErrors).toEqual([]);

    // The audit log: both changes, each with what it was before and after.
    await navLink(admin, 'Audit log').click();
    const entry = (text: string) =>
      admin.locator('li.admin-audit-entry').filter({ hasText: text }).first();
    for (const [target, before, after] of [
      [renamed.id, renamed.name, newName],
      [added.id, null, added.name],
    ] as const) {
      const item = entry(target);
      await item.locator('summary').click();
      const diff = item.getByRole('table');
      await diff.waitFor({ timeout: 10_000 });
      const headers = await diff.locator('th[scope="col"]').allTextContents();
      expect(headers).toEqual(expect.arrayContaining(['Before', 'After']));
      const text = (await diff.textContent()) ?? '';
      expect(text).toContain(after);
      if (before) expect(text).toContain(before);
    }
    await screenshot(admin, 'admin-e2e-audit-log');
  }, 180_000);

  it('hide-results at 50 % as an experiment: the split over 1,000 voters, its exposure metrics, and a voter in the on arm who sees tallies only after voting', async () => {
    const before = (await evaluateFresh(apiA)).evaluation.version;
    const admin = await adminPage();
    await navLink(admin, 'Flags').click();
    const flag = admin.getByRole('region', { name: FLAG, exact: true });
    await flag.getByRole('checkbox', { name: 'Enabled', exact: true }).check();
    await flag.getByLabel('Rollout (%)', { exact: true }).fill('50');
    await flag.getByRole('checkbox', { name: 'Experiment', exact: true }).check();
    await flag.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => textOf(flag.getByRole('status'))).toBe('Saved.');
    // Both apis evaluate at the new version (B learns it over Redis).
    for (const url of [apiA, apiB]) {
      await expect
        .poll(async () => (await evaluateFresh(url)).evaluation.version)
        .toBeGreaterThan(before);
    }

    // 1,000 fresh voters against api A, 25 at a time.
    const metricsUrl = s.stack.processes.apis[0]!.metricsUrl!;
    const start = await exposures(metricsUrl);
    const voters: Array<{ variant: string; value: boolean; cookie: string }> = [];
    for (let i = 0; i < VOTERS; i += 25) {
      const batch = await Promise.all(Array.from({ length: 25 }, () => evaluateFresh(apiA)));
      for (const { evaluation, cookie } of batch) {
        const f = evaluation.flags[FLAG];
        if (!f) throw new Error(`no ${FLAG} in ${JSON.stringify(evaluation)}`);
        voters.push({ variant: f.variant, value: f.value, cookie });
      }
    }
    const on = voters.filter((v) => v.variant === 'on');
    expect(voters.every((v) => v.value === (v.variant === 'on'))).toBe(true);
    expect(new Set(voters.map((v) => v.cookie)).size).toBe(VOTERS);
    // Binomial(1000, 0.5): mean 500, σ = √(1000·0.25) ≈ 15.8; ±4σ.
    const sigma = Math.sqrt(VOTERS * 0.25);
    expect(Math.abs(on.length - VOTERS / 2)).toBeLessThanOrEqual(4 * sigma);
    console.info(
      `hide-results split: ${on.length} on of ${VOTERS} (±4σ = ±${(4 * sigma).toFixed(1)})`,
    );
    const end = await exposures(metricsUrl);
    expect({ on: end.on - start.on, off: end.off - start.off }).toEqual({
      on: on.length,
      off: VOTERS - on.length,
    });

    // A voter of the 'on' arm, on api B: tallies hidden until they vote.
    const models = (await s.api.llm.list.query()).length;
    const hiddenVoter = on[0]!.cookie;
    const offVoter = voters.find((v) => v.variant === 'off')!.cookie;

    const voterPage = async (cookie: string, options: BrowserContextOptions = {}) => {
      const opened = await s.newPage({ baseURL: apiB, ...options });
      await opened.context.addCookies([{ name: 'vid', value: cookie, url: apiB }]);
      return opened;
    };

    // The 'off' arm: nothing changes.
    const plain = await voterPage(offVoter);
    await plain.page.goto('/');
    await expect.poll(() => rows(plain.page).count()).toBe(models);
    expect(await plain.page.locator('[data-sealed]').count()).toBe(0);

    const { page, pageErrors } = await voterPage(hiddenVoter);
    await page.goto('/');
    await expect.poll(() => rows(page).count()).toBe(models);
    // The two top rows, so the screenshots show them.
    const [target, other] = await Promise.all(
      (await rowIds(page)).slice(0, 2).map(async (id) => ({
        id,
        name: (await textOf(row(page, id).locator('[data-col="model"] a'))) ?? id,
      })),
    );
    if (!target || !other) throw new Error('fewer than two rows');
    const score = (id: string) => textOf(row(page, id).locator('[data-col="score"]'));
    const scoreNow = (id: string) => readText(row(page, id).locator('[data-col="score"]'));
    await expect.poll(() => score(target.id)).toBe('Vote to see');
    // The page's own evaluation (OpenFeature) has the flag on, not only the server's sealed rows.
    await expect.poll(() => page.locator('[data-hide-results]').count()).toBe(1);
    expect(await scoreNow(other.id)).toBe('Vote to see');
    // Ranks stay: every row still has its rank cell.
    expect(await row(page, target.id).locator('[data-col="rank"]').count()).toBe(1);
    expect(await readText(page.getByTestId('results-hidden'))).toContain('Results hidden');
    await screenshot(page, 'hide-results-board-light');

    await upvote(page, target.name).click();
    // Its own vote counted at least (others may vote too): the tally, no longer sealed.
    await expect
      .poll(async () => Number(await textOf(row(page, target.id).locator('[data-col="up"]'))))
      .toBeGreaterThan(0);
    expect(await scoreNow(target.id)).toMatch(/^-?\d+$/);
    expect(await scoreNow(other.id)).toBe('Vote to see');
    await screenshot(page, 'hide-results-board-voted-light');

    // The model page: hidden until voted, then the tally and the chart.
    await page.goto(`/models/${other.id}`);
    await expect.poll(() => textOf(page.getByTestId('model-sealed'))).toContain('Vote to see');
    expect(await page.getByTestId('history-sealed').count()).toBe(1);
    await screenshot(page, 'hide-results-model-hidden-light');
    await upvote(page, other.name).click();
    await expect.poll(() => page.getByTestId('model-sealed').count()).toBe(0);
    await expect
      .poll(() => textOf(page.locator('[data-testid="model-tally"] [data-col="up"]')))
      .toMatch(/^\d+$/);
    expect(await page.getByTestId('history-sealed').count()).toBe(0);
    await screenshot(page, 'hide-results-model-revealed-light');
    expect(pageErrors).toEqual([]);

    // The same states in dark and on a phone, for people to look at.
    for (const [label, options] of [
      ['dark', { colorScheme: 'dark' }],
      ['phone', PHONE],
    ] as const) {
      const fresh = on[label === 'dark' ? 1 : 2]!.cookie;
      const view = await voterPage(fresh, options);
      await view.page.goto('/');
      await expect
        .poll(() => textOf(row(view.page, target.id).locator('[data-col="score"]')))
        .toBe('Vote to see');
      await screenshot(view.page, `hide-results-board-${label}`);
      await upvote(view.page, target.name).click();
      await expect
        .poll(() => textOf(row(view.page, target.id).locator('[data-col="score"]')))
        .toMatch(/^-?\d+$/);
      await screenshot(view.page, `hide-results-board-voted-${label}`);
      await view.page.goto(`/models/${other.id}`);
      await expect
        .poll(() => textOf(view.page.getByTestId('model-sealed')))
        .toContain('Vote to see');
      await screenshot(view.page, `hide-results-model-hidden-${label}`, { fullPage: true });
      await upvote(view.page, other.name).click();
      await expect.poll(() => view.page.getByTestId('model-sealed').count()).toBe(0);
      await screenshot(view.page, `hide-results-model-revealed-${label}`, { fullPage: true });
    }
  }, 180_000);
});
