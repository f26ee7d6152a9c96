import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { SYSTEM_COMMANDS, findOrInstall } from '@llmpt/devstack';
import { type Stack, Voter, startStack } from '@llmpt/e2e/stack';
import type { Llm } from '@llmpt/shared';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
  chromium,
} from 'playwright-core';
import { inject, onTestFinished } from 'vitest';

import type {} from './provided-context.ts';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** Screenshots kept for people to look at (git-ignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** The real stack serving the SPA, a Chromium, and the catalogue as the api lists it. */
export interface BrowserStack {
  baseUrl: string;
  /** Every api's URL (`baseUrl` is the first); pass one as `baseURL` to `newPage` to use it. */
  baseUrls: string[];
  stack: Stack;
  browser: Browser;
  /** A tRPC client of the api, as a voter of its own. */
  api: ReturnType<Voter['client']>;
  /** The active catalogue (`llm.list`), in the api's order. */
  llms: Llm[];
  /**
   * A fresh context (a new voter: its own cookie jar) with one page, and the uncaught errors
   * that page throws.
   */
  newPage(
    options?: BrowserContextOptions,
  ): Promise<{ context: BrowserContext; page: Page; pageErrors: Error[] }>;
  stop(): Promise<void>;
}

/**
 * One api (serving the SPA built by test/build-web.ts at / and tRPC + ws at /trpc, so the page
 * is same-origin as a deployment's; `apis` for more, on the same database and Redis prefix) and
 * one worker (flush and ranker) on a fresh database and Redis prefix, plus Chromium.
 */
export async function startBrowserStack(
  opts: { env?: Record<string, string>; apis?: number } = {},
): Promise<BrowserStack> {
  // Debian's Chromium (CHROMIUM_PATH for another one), installed first when root with apt.
  const chromiumPath = await findOrInstall(SYSTEM_COMMANDS.chromium);
  const stack = await startStack({
    apis: opts.apis ?? 1,
    env: {
      WEB_DIST: inject('webDist'),
      // Every browser context connects from 127.0.0.1.
      VOTE_RATE_LIMIT_IP: '100000',
      VOTE_NEW_VOTERS_PER_NETWORK_HOUR: '100000',
      VOTE_BALLOTS_PER_NETWORK_MODEL_HOUR: '100000',
      RANKER_TICK_MS: '100',
      ...opts.env,
    },
  });
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  } catch (err) {
    await stack.stop();
    throw err;
  }
  const baseUrl = stack.apiUrls[0]!;
  const contexts = new Set<BrowserContext>();
  let failedShots = 0;
  const api = new Voter().client(baseUrl);
  const llms = await api.llm.list.query();
  await mkdir(`${ARTIFACTS_DIR}failed/`, { recursive: true });

  return {
    baseUrl,
    baseUrls: stack.apiUrls,
    stack,
    browser,
    api,
    llms,
    async newPage(options = {}) {
      const context = await browser.newContext({
        baseURL: baseUrl,
        viewport: { width: 1280, height: 800 },
        colorScheme: 'light',
        reducedMotion: 'reduce',
        ...options,
      });
      contexts.add(context);
      context.on('close', () => contexts.delete(context));
      // Actions wait for their element this long; reads in polls use their own short timeout.
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      const pageErrors: Error[] = [];
      page.on('pageerror', (err) => {
        pageErrors.push(err);
        console.warn(`[browser] uncaught on ${page.url()}: ${err.message}`);
      });
      // Closed with its test; a failing test leaves its page's last state in artifacts/failed/.
      onTestFinished(async ({ task }) => {
        if (task.result?.state === 'fail' && !page.isClosed()) {
          const name = `${task.name.replace(/\W+/g, '-').slice(0, 80)}-${++failedShots}`;
          await page
            .screenshot({ path: `${ARTIFACTS_DIR}failed/${name}.png`, timeout: 5_000 })
            .catch(() => undefined);
        }
        await context.close();
      });
      return { context, page, pageErrors };
    },
    async stop() {
      await Promise.all([...contexts].map((c) => c.close()));
      await browser.close();
      await stack.stop();
    },
  };
}

/** Saves a screenshot (of the viewport, unless `fullPage`) as artifacts/<name>.png. */
export async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<void> {
  await page.screenshot({
    path: `${ARTIFACTS_DIR}${name}.png`,
    animations: 'disabled',
    fullPage: options.fullPage ?? false,
  });
}

/** The voter's ballots as the server has them (`vote.mine`), asked with the context's cookie. */
export async function serverBallots(
  context: BrowserContext,
  baseUrl: string,
): Promise<Record<string, 1 | -1>> {
  const cookie = (await context.cookies(baseUrl)).map((c) => `${c.name}=${c.value}`).join('; ');
  const res = await fetch(`${baseUrl}/trpc/vote.mine`, { headers: { cookie } });
  if (!res.ok) throw new Error(`vote.mine answered ${res.status}`);
  // vote.mine answers each ballot with its integrity status (issue 13): the values only here.
  const body = (await res.json()) as { result: { data: Record<string, { value: 1 | -1 }> } };
  return Object.fromEntries(Object.entries(body.result.data).map(([id, b]) => [id, b.value]));
}
