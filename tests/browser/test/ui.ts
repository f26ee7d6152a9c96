// The UI contract (docs/ui-contract.md) as locators: tests say what they check, not how to find it.
import { type Locator, type Page, errors } from 'playwright-core';

import type { BrowserStack } from './harness.ts';

export const COLUMN_HEADERS = [
  'Rank',
  'Model',
  'Vendor',
  'Score',
  'Up',
  'Down',
  'Wilson',
  'Trend',
  'Vote',
] as const;
export const CELL_COLUMNS = [
  'rank',
  'model',
  'vendor',
  'score',
  'up',
  'down',
  'wilson',
  'trend',
  'vote',
] as const;

export function rankingsTable(page: Page): Locator {
  return page.getByRole('table', { name: 'LLM rankings', exact: true });
}

export function rows(page: Page): Locator {
  return rankingsTable(page).locator('tbody tr[data-llm-id]');
}

export function row(page: Page, llmId: string): Locator {
  return rankingsTable(page).locator(`tbody tr[data-llm-id="${llmId}"]`);
}

/** The model ids of the table's rows, top to bottom. */
export function rowIds(page: Page): Promise<string[]> {
  return rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-llm-id') ?? ''));
}

export function upvote(scope: Page | Locator, name: string): Locator {
  return scope.getByRole('button', { name: `Upvote ${name}`, exact: true });
}

export function downvote(scope: Page | Locator, name: string): Locator {
  return scope.getByRole('button', { name: `Downvote ${name}`, exact: true });
}

/** Reads for expect.poll: a missing element reads as null at once instead of stalling the poll. */
const READ = { timeout: 500 };

export async function textOf(locator: Locator): Promise<string | null> {
  try {
    return (await locator.textContent(READ))?.trim() ?? null;
  } catch (err) {
    if (err instanceof errors.TimeoutError) return null;
    throw err;
  }
}

export async function attrOf(locator: Locator, name: string): Promise<string | null> {
  try {
    return await locator.getAttribute(name, READ);
  } catch (err) {
    if (err instanceof errors.TimeoutError) return null;
    throw err;
  }
}

/**
 * The number a `[data-col]` cell shows (NaN when it shows something else, so a comparison fails
 * with the cell's content in view). The rank cell's number is in `[data-rank-value]`.
 */
export async function numberIn(
  scope: Locator,
  col: 'rank' | 'score' | 'up' | 'down',
): Promise<number> {
  const cell = scope.locator(`[data-col="${col}"]`);
  const text = await textOf(col === 'rank' ? cell.locator('[data-rank-value]') : cell);
  return text ? Number(text) : Number.NaN;
}

/** True when the row's rank cell reads "no votes yet" (no rank number). */
export async function hasNoRank(scope: Locator): Promise<boolean> {
  const cell = scope.locator('[data-col="rank"]');
  return (
    (await cell.locator('[data-no-rank]').count()) === 1 &&
    (await cell.locator('[data-rank-value]').count()) === 0
  );
}

/** The rank-change arrow of a row as shown ("▲45"), or null when it has none. */
export async function rankArrow(scope: Locator): Promise<string | null> {
  const arrow = scope.locator('[data-col="rank"] [data-rank-change] [aria-hidden="true"]');
  return (await arrow.count()) === 0 ? null : textOf(arrow);
}

/** The `<html data-theme>` the page applied. */
export function themeOf(page: Page): Promise<string | null> {
  return page.evaluate(() => document.documentElement.getAttribute('data-theme'));
}

export function connectionStatus(page: Page): Locator {
  return page.getByTestId('connection-status');
}

export function h1(page: Page): Locator {
  return page.getByRole('heading', { level: 1 });
}

/** The model's live tally as the api reports it (`llm.byId`). */
export async function serverTally(
  s: BrowserStack,
  llmId: string,
): Promise<{ up: number; down: number; score: number }> {
  const { up, down, score } = await s.api.llm.byId.query({ id: llmId });
  return { up, down, score };
}
