import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { recordAudit } from '@llmpt/db';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type BrowserStack, screenshot, startBrowserStack } from './harness.ts';
import { textOf } from './ui.ts';

// The admins' page (issue 12) in Chromium against the real api, worker, Postgres and Redis: the
// accessible names below are the page's contract (tests/browser/test/admin-e2e uses them too).

const ADMIN = 'ada';
const PASSWORD = 'correct horse battery staple';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let s: BrowserStack;

beforeAll(async () => {
  s = await startBrowserStack({
    env: {
      GRAFANA_URL: 'http://grafana.example.test/d/llmpt',
      PROMETHEUS_URL: 'http://prometheus.example.test/',
      OPS_SAMPLE_MS: '1000',
    },
  });
  await createAdmin(ADMIN, PASSWORD);
  await createAdmin('locked-out', PASSWORD);
});
afterAll(async () => {
  await s?.stop();
});

/** `npm run admin:create -- --user NAME` as an operator runs it: the password on stdin. */
function createAdmin(username: string, password: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'apps/api/src/cli/admin.ts', 'create', '--user', username],
      {
        cwd: ROOT,
        env: { ...process.env, ...s.stack.env },
        stdio: ['pipe', 'inherit', 'inherit'],
      },
    );
    child.stdin.end(`${password}\n`);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`admin:create exited with ${code}`)),
    );
  });
}

function heading(page: Page, name: string): Locator {
  return page.getByRole('heading', { level: 1, name, exact: true });
}

async function signIn(page: Page, username = ADMIN, password = PASSWORD): Promise<void> {
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function signedInPage(path = '/admin') {
  const opened = await s.newPage();
  await opened.page.goto(path);
  await signIn(opened.page);
  await opened.page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
  return opened;
}

function nav(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Admin' });
}

/** Two animation frames: layout, a ResizeObserver and a chart's redraw have run. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) =>
        requestAnimationFrame(() => requestAnimationFrame(() => resolve())),
      ),
  );
}

/**
 * The view as it is, in light, in dark, and on a phone: artifacts/admin-<name>-*.png. `ready`
 * is awaited after each change (e.g. charts rebuilt for the theme); `ownTheme: false` for a page
 * that isn't ours (the BullMQ board follows the system's scheme, if at all).
 */
async function shoot(
  page: Page,
  name: string,
  ready: () => Promise<void> = () => Promise.resolve(),
  opts: { ownTheme?: boolean } = {},
): Promise<void> {
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  await page.emulateMedia({ colorScheme: 'light' });
  await ready();
  await settle(page);
  await screenshot(page, `admin-${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  if (opts.ownTheme ?? true)
    await expect
      .poll(() => page.evaluate(() => document.documentElement.dataset.theme))
      .toBe('dark');
  await ready();
  await settle(page);
  await screenshot(page, `admin-${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  await ready();
  await settle(page);
  await screenshot(page, `admin-${name}-phone`);
  await page.setViewportSize(size);
  await settle(page);
}

describe('admin sign-in', () => {
  it('refuses a wrong password inline, then signs in and shows the view asked for', async () => {
    const { page, pageErrors } = await s.newPage();
    await page.goto('/admin/flags');
    // Signed out: the form in place of the view, at the same URL.
    await heading(page, 'Sign in').waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/flags');
    await expect
      .poll(() =>
        page
          .getByLabel('Username', { exact: true })
          .evaluate((el) => el === document.activeElement),
      )
      .toBe(true);
    await shoot(page, 'sign-in');

    await signIn(page, ADMIN, 'not the password at all');
    await expect.poll(() => textOf(page.getByRole('alert'))).toBe('Wrong username or password.');
    expect(await heading(page, 'Sign in').count()).toBe(1);
    await shoot(page, 'sign-in-error');

    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // Where the admin was going, with focus on its heading.
    await heading(page, 'Flags').waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/flags');
    await expect
      .poll(() => heading(page, 'Flags').evaluate((el) => el === document.activeElement))
      .toBe(true);
    await expect.poll(() => textOf(page.locator('.admin-user'))).toBe(`Signed in as ${ADMIN}`);

    // The nav, with exactly these names; Grafana and Prometheus (configured) in a new tab.
    const links = nav(page).getByRole('link');
    expect(await links.allTextContents()).toEqual([
      'Overview',
      'Catalogue',
      'Flags',
      // Issue 13's review queue (no pending count: no flags here).
      'Integrity',
      'Audit log',
      'Queues',
      'Grafana ↗',
      'Prometheus ↗',
    ]);
    for (const name of [
      'Overview',
      'Catalogue',
      'Flags',
      'Audit log',
      'Queues',
      'Grafana',
      'Prometheus',
    ])
      expect(await nav(page).getByRole('link', { name, exact: true }).count()).toBe(1);
    const grafana = nav(page).getByRole('link', { name: 'Grafana', exact: true });
    expect(await grafana.getAttribute('href')).toBe('http://grafana.example.test/d/llmpt');
    expect(await grafana.getAttribute('target')).toBe('_blank');
    expect(await grafana.getAttribute('rel')).toBe('noopener');
    expect(
      await nav(page).getByRole('link', { name: 'Queues', exact: true }).getAttribute('href'),
    ).toBe('/admin/queues');
    expect(pageErrors).toEqual([]);
  });

  it('shows when a locked account may try again', async () => {
    const { page } = await s.newPage();
    await page.goto('/admin');
    await heading(page, 'Sign in').waitFor();
    const alert = page.getByRole('alert');
    let text: string | null = null;
    for (let i = 0; i < 12 && !/Too many attempts/.test(text ?? ''); i++) {
      await signIn(page, 'locked-out', `wrong password ${i}`);
      await expect.poll(async () => (text = await textOf(alert))).toMatch(/\S/);
      await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    }
    expect(text).toMatch(/^Too many attempts — try again in \d+ s\.$/);
    // Even the right password waits for the lockout to pass.
    await signIn(page, 'locked-out', PASSWORD);
    await expect.poll(() => textOf(alert)).toMatch(/^Too many attempts — try again in \d+ s\.$/);
  });
});

describe('admin views with real data', () => {
  it('overview: charts of the last hour, updating, readable in dark and on a phone', async () => {
    // Some traffic for the charts: votes accepted, and one refused (unknown model).
    for (const llm of s.llms.slice(0, 5)) await s.api.vote.cast.mutate({ llmId: llm.id, value: 1 });
    await s.api.vote.cast.mutate({ llmId: 'no-such-model', value: 1 }).catch(() => undefined);

    const { page, pageErrors } = await signedInPage('/admin');
    await heading(page, 'Overview').waitFor();
    const votes = page.getByRole('img', { name: 'Votes per minute', exact: true });
    await votes.locator('canvas').waitFor();
    // The accepted votes show (summed over the api's steps).
    await expect
      .poll(() => textOf(votes.locator('.admin-chart-summary')), { timeout: 20_000 })
      .toMatch(/Peak: Accepted [1-9][\d.]*\/min/);
    for (const title of [
      'Acknowledged vs flushed per minute',
      'Outbox lag',
      'WebSocket connections and subscriptions',
      'Cache hit rate',
      'Queue depth (waiting, active, delayed) and failed jobs',
      'Error rate (5xx)',
    ])
      expect(await page.getByRole('img', { name: title, exact: true }).count()).toBe(1);
    await expect.poll(() => textOf(page.locator('.admin-facts'))).toMatch(/Ranker leader\S+/);
    // Live: the newest point moves on without a reload.
    const updated = await textOf(page.locator('.admin-facts time'));
    await expect
      .poll(() => textOf(page.locator('.admin-facts time')), { timeout: 20_000 })
      .not.toBe(updated);

    const charts = page.locator('.admin-chart canvas');
    await shoot(page, 'overview', async () => {
      await expect.poll(() => charts.count()).toBeGreaterThanOrEqual(5);
    });
    // Charts follow their box on a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect
      .poll(() => votes.locator('canvas').evaluate((c) => c.getBoundingClientRect().width))
      .toBeLessThanOrEqual(370);
    expect(pageErrors).toEqual([]);
  });

  it('catalogue: lists every model, adds one, shows a server validation error, edits and retires', async () => {
    const { page, pageErrors } = await signedInPage('/admin');
    await nav(page).getByRole('link', { name: 'Catalogue', exact: true }).click();
    await heading(page, 'Catalogue').waitFor();
    const table = page.getByRole('table', { name: 'Models', exact: true });
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBeGreaterThanOrEqual(s.llms.length);
    await shoot(page, 'catalogue');

    // The search box filters the rows.
    const target = s.llms[0]!;
    await page.getByLabel('Search models', { exact: true }).fill(target.name);
    await expect.poll(() => table.locator(`tbody tr[data-llm-id="${target.id}"]`).count()).toBe(1);
    await page.getByLabel('Search models', { exact: true }).fill('');

    // Add: a bad homepage comes back from the server next to its field.
    await page.getByRole('button', { name: 'Add model', exact: true }).click();
    const form = page.getByRole('form', { name: 'Add model', exact: true });
    await form.getByLabel('Id', { exact: true }).fill('acme-one');
    await form.getByLabel('Name', { exact: true }).fill('Acme One');
    await form.getByLabel('Vendor', { exact: true }).fill('Acme');
    await form.getByLabel('Family', { exact: true }).fill('One');
    await form.getByLabel('Release date', { exact: true }).fill('2026-11-30');
    await form.getByLabel('Open weights', { exact: true }).check();
    await form.getByLabel('Parameters (billions)', { exact: true }).fill('70');
    await form.getByLabel('Context window', { exact: true }).fill('128000');
    const categories = form.getByRole('group', { name: 'Categories', exact: true });
    await categories.getByLabel('Chat', { exact: true }).check();
    await categories.getByLabel('Coding', { exact: true }).check();
    await form.getByLabel('Homepage', { exact: true }).fill('not a url');
    await form.getByLabel('Status', { exact: true }).selectOption('active');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    const homepage = form.getByLabel('Homepage', { exact: true });
    await expect.poll(() => homepage.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await homepage.getAttribute('aria-describedby')) ?? '';
    const homepageError = page.locator(`[id="${describedBy}"]`);
    expect(await textOf(homepageError)).toMatch(/\S/);
    // Next to its field (the same box), and focus taken there.
    expect(await homepageError.evaluate((el) => el.parentElement?.querySelector('input')?.id)).toBe(
      await homepage.getAttribute('id'),
    );
    await expect.poll(() => homepage.evaluate((el) => el === document.activeElement)).toBe(true);
    // Nothing was added.
    expect((await s.api.llm.list.query()).some((l) => l.id === 'acme-one')).toBe(false);
    // On a phone too, the field in error is what is in view.
    await shoot(page, 'catalogue-form-error', () => homepage.scrollIntoViewIfNeeded());

    await homepage.fill('https://acme.example.com/one');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await expect
      .poll(() => textOf(page.getByRole('status').filter({ hasText: 'Saved' })))
      .toBe('Saved Acme One.');
    const added = table.locator('tbody tr[data-llm-id="acme-one"]');
    await expect.poll(() => textOf(added.locator('.admin-model-name'))).toBe('Acme One');
    const voterView = await s.api.llm.byId.query({ id: 'acme-one' });
    expect(voterView).toMatchObject({
      name: 'Acme One',
      vendor: 'Acme',
      openWeights: true,
      parametersB: 70,
      contextWindow: 128000,
      categories: ['chat', 'coding'],
      homepage: 'https://acme.example.com/one',
    });

    // Edit: rename an existing model; focus returns to its Edit button.
    await page.getByRole('button', { name: `Edit ${target.name}`, exact: true }).click();
    const edit = page.getByRole('form', { name: `Edit ${target.name}`, exact: true });
    expect(await edit.getByLabel('Id', { exact: true }).count()).toBe(0);
    expect(await edit.getByLabel('Name', { exact: true }).inputValue()).toBe(target.name);
    await edit.getByLabel('Name', { exact: true }).fill(`${target.name} Renamed`);
    await edit.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('button', { name: `Edit ${target.name} Renamed`, exact: true }).waitFor();
    expect((await s.api.llm.byId.query({ id: target.id })).name).toBe(`${target.name} Renamed`);

    // Retire asks first; "Cancel" changes nothing.
    const retire = page.getByRole('button', { name: 'Retire Acme One', exact: true });
    await retire.click();
    const dialog = page.getByRole('alertdialog', { name: 'Retire Acme One?' });
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect((await s.api.llm.byId.query({ id: 'acme-one' })).status).toBe('active');
    await retire.click();
    await dialog.getByRole('button', { name: 'Retire', exact: true }).click();
    await expect.poll(() => textOf(added.locator('.admin-pill'))).toBe('retired');
    expect(await retire.isDisabled()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('catalogue: an edit made meanwhile by someone else is not overwritten; reload offered', async () => {
    const llm = s.llms[1]!;
    const a = await signedInPage('/admin/catalogue');
    const b = await signedInPage('/admin/catalogue');
    await a.page.getByRole('button', { name: `Edit ${llm.name}`, exact: true }).click();
    const formA = a.page.getByRole('form', { name: `Edit ${llm.name}`, exact: true });
    await formA.getByLabel('Vendor', { exact: true }).fill('Vendor from A');

    await b.page.getByRole('button', { name: `Edit ${llm.name}`, exact: true }).click();
    const formB = b.page.getByRole('form', { name: `Edit ${llm.name}`, exact: true });
    await formB.getByLabel('Family', { exact: true }).fill('Family from B');
    await formB.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => formB.count()).toBe(0);

    await formA.getByRole('button', { name: 'Save', exact: true }).click();
    const conflict = formA.getByRole('alert');
    await expect
      .poll(() => textOf(conflict))
      .toMatch(/^Someone else changed .+ since you opened it/);
    expect((await s.api.llm.byId.query({ id: llm.id })).vendor).not.toBe('Vendor from A');
    await conflict.getByRole('button', { name: 'Reload it', exact: true }).click();
    await expect
      .poll(() => formA.getByLabel('Family', { exact: true }).inputValue())
      .toBe('Family from B');
    // Saving again, from the fresh record, goes through.
    await formA.getByLabel('Vendor', { exact: true }).fill('Vendor from A');
    await formA.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => formA.count()).toBe(0);
    expect(await s.api.llm.byId.query({ id: llm.id })).toMatchObject({
      vendor: 'Vendor from A',
      family: 'Family from B',
    });
  });

  it('flags: saves the rollout and shows the experiment arms', async () => {
    const { page, pageErrors } = await signedInPage('/admin/flags');
    const section = page.getByRole('region', { name: 'hide-results', exact: true });
    await section.waitFor();
    expect(await textOf(section.locator('p').first())).toMatch(/\S/);
    const rollout = section.getByLabel('Rollout (%)', { exact: true });
    // Out of range: said next to the field, nothing saved.
    await rollout.fill('150');
    await section.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => rollout.getAttribute('aria-invalid')).toBe('true');

    await section.getByLabel('Enabled', { exact: true }).check();
    await rollout.fill('50');
    await section.getByLabel('Experiment', { exact: true }).check();
    await section.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => textOf(section.getByRole('status'))).toBe('Saved.');
    const arms = section.getByRole('table', { name: 'Experiment arms of hide-results' });
    expect(await arms.getByRole('columnheader').allTextContents()).toEqual([
      'Variant',
      'Exposures',
      'Votes',
      'Votes per visit',
    ]);
    await shoot(page, 'flags');

    // Stored: a reload shows it.
    await page.reload();
    await section.waitFor();
    expect(await section.getByLabel('Enabled', { exact: true }).isChecked()).toBe(true);
    expect(await section.getByLabel('Rollout (%)', { exact: true }).inputValue()).toBe('50');
    expect(await section.getByLabel('Experiment', { exact: true }).isChecked()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('audit log: lists the actions newest first with before and after, searches and pages', async () => {
    // More entries than a page holds (the CLI's actions are audited the same way).
    for (let i = 1; i <= 24; i++) {
      await recordAudit(s.stack.db, {
        actorId: null,
        actor: 'cli:test',
        action: 'test.filler',
        targetType: 'test',
        targetId: `filler-${i}`,
        before: { n: i - 1 },
        after: { n: i },
      });
    }
    const { page, pageErrors } = await signedInPage('/admin/audit');
    await heading(page, 'Audit log').waitFor();
    const entries = page.getByRole('list', { name: 'Audit entries' }).getByRole('listitem');
    // Newest first: the sign-in just now.
    await expect
      .poll(() => textOf(entries.first().locator('.admin-audit-action')))
      .toMatch(/sign/i);
    await page.getByLabel('Search', { exact: true }).fill('test.filler');
    await expect
      .poll(() => textOf(entries.first().locator('.admin-audit-target')))
      .toBe('test filler-24');
    expect(await entries.count()).toBe(20);
    // Newest first: the last filler.
    expect(await textOf(entries.first().locator('.admin-audit-target'))).toBe('test filler-24');

    const older = page.getByRole('button', { name: 'Older', exact: true });
    const newer = page.getByRole('button', { name: 'Newer', exact: true });
    expect(await newer.isDisabled()).toBe(true);
    await older.click();
    await expect
      .poll(() => textOf(entries.first().locator('.admin-audit-target')))
      .toBe('test filler-4');
    expect(await entries.count()).toBe(4);
    expect(await older.isDisabled()).toBe(true);
    await newer.click();
    await expect
      .poll(() => textOf(entries.first().locator('.admin-audit-target')))
      .toBe('test filler-24');

    // Search: the catalogue's changes made through the page, with before and after.
    await page.getByLabel('Search', { exact: true }).fill('acme-one');
    // Until the searched page replaces the unfiltered one (the count alone is already ≥ 2 before).
    const summaries = () => entries.locator('summary').allTextContents();
    await expect
      .poll(async () => {
        const t = await summaries();
        return t.length >= 2 && t.every((x) => x.includes('acme-one'));
      })
      .toBe(true);
    const texts = await summaries();
    expect(texts.every((t) => t.includes('acme-one'))).toBe(true);
    expect(texts.join('\n')).toContain(ADMIN);
    expect(texts.join('\n')).toContain('127.0.0.1');
    // The oldest of them (the creation): expand it, no before, the name after.
    const created = entries.last();
    await created.locator('summary').click();
    const diff = created.getByRole('table');
    expect(await diff.getByRole('columnheader').allTextContents()).toEqual([
      'Field',
      'Before',
      'After',
    ]);
    const nameRow = diff
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: /^name/ }) });
    expect(await textOf(nameRow.locator('td').nth(1))).toBe('"Acme One"');
    expect(await nameRow.getAttribute('data-changed')).toBe('true');
    // The retirement: only status changed is highlighted.
    await entries.first().locator('summary').click();
    const changed = entries.first().locator('tr[data-changed] th');
    expect(await changed.allTextContents()).toContain('status (changed)');
    await shoot(page, 'audit');
    expect(pageErrors).toEqual([]);
  });
});

describe('admin session', () => {
  it('opens the BullMQ board at /admin/queues when signed in', async () => {
    const { page } = await signedInPage('/admin');
    await nav(page).getByRole('link', { name: 'Queues', exact: true }).click();
    await page.waitForURL(/\/admin\/queues/);
    await expect
      .poll(() => page.locator('body').innerText(), { timeout: 15_000 })
      .toMatch(/flush|maintenance/i);
    // The board's own API answered: its main panel left "Loading…" (a screenshot of the spinner
    // showed nothing an operator needs).
    await expect
      .poll(() => page.locator('main').innerText(), { timeout: 15_000 })
      .not.toMatch(/Loading/i);
    await shoot(page, 'queues', undefined, { ownTheme: false });
  });

  it('signs out, and a session ended elsewhere returns to the sign-in form with why', async () => {
    const a = await signedInPage('/admin/catalogue');
    const b = await signedInPage('/admin/catalogue');
    await heading(b.page, 'Catalogue').waitFor();

    // "Sign out everywhere" in A ends B's session too: B's next call gets 401.
    await a.page.getByRole('button', { name: 'Sign out everywhere', exact: true }).click();
    await heading(a.page, 'Sign in').waitFor();
    await expect.poll(() => textOf(a.page.locator('.admin-notice'))).toBe('You signed out.');
    expect(new URL(a.page.url()).pathname).toBe('/admin/catalogue');

    await nav(b.page).getByRole('link', { name: 'Flags', exact: true }).click();
    await heading(b.page, 'Sign in').waitFor();
    await expect
      .poll(() => textOf(b.page.locator('.admin-notice')))
      .toBe('Your session ended — sign in again.');
    // Nothing of the admin stays on screen.
    expect(await b.page.getByRole('navigation', { name: 'Admin' }).count()).toBe(0);
    await signIn(b.page);
    await heading(b.page, 'Flags').waitFor();

    // Plain sign-out: back to the form; a reload stays signed out.
    await b.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await heading(b.page, 'Sign in').waitFor();
    await b.page.reload();
    await heading(b.page, 'Sign in').waitFor();
  });
});
