import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type BrowserStack, startBrowserStack } from './harness.ts';
import { row, upvote } from './ui.ts';

let s: BrowserStack;

beforeAll(async () => {
  s = await startBrowserStack();
});
afterAll(async () => {
  await s?.stop();
});

describe('the SPA under its Content-Security-Policy', () => {
  it('runs with no CSP violation: theme script, live board, voting and the model page chart', async () => {
    const { page, pageErrors } = await s.newPage({ colorScheme: 'dark' });
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    const response = await page.goto('/');
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self' 'sha256-/);
    expect(response?.headers()['x-content-type-options']).toBe('nosniff');
    // The inline theme script ran before React (allowed by its hash).
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');

    const llm = s.llms[0]!;
    await upvote(page, llm.name).click();
    await expect
      .poll(() => upvote(page, llm.name).getAttribute('aria-pressed'), { timeout: 10_000 })
      .toBe('true');
    await row(page, llm.id).getByRole('link', { name: llm.name }).click();
    await page.locator('figure[role="img"] canvas').waitFor({ timeout: 10_000 });

    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('cannot be framed by another site', async () => {
    const res = await fetch(`${s.baseUrl}/`, { headers: { accept: 'text/html' } });
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
});
