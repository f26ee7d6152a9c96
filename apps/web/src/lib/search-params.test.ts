// @vitest-environment jsdom
import { leaderboardSearchSchema } from '@llmpt/shared';
import {
  createMemoryHistory,
  createRootRoute,
  createRoute,
  createRouter,
} from '@tanstack/react-router';
import { describe, expect, it } from 'vitest';

import { hasFilters, parseSearch, stringifySearch, withoutFilters } from './search-params.ts';

/** The app's search handling on a router of its own (the app's routes import the live client). */
function routerAt(url: string) {
  const root = createRootRoute();
  const index = createRoute({
    getParentRoute: () => root,
    path: '/',
    validateSearch: leaderboardSearchSchema,
  });
  return createRouter({
    routeTree: root.addChildren([index]),
    history: createMemoryHistory({ initialEntries: [url] }),
    parseSearch,
    stringifySearch,
  });
}

describe('parseSearch / stringifySearch', () => {
  it('reads plain strings: nothing is JSON-parsed', () => {
    expect(parseSearch('?q=123&vendor=%22Meta%22&open=1&q=null')).toEqual({
      q: 'null',
      vendor: '"Meta"',
      open: '1',
    });
    expect(parseSearch('')).toEqual({});
  });

  it('writes the contract’s order, unquoted, without empty values', () => {
    expect(
      stringifySearch({ sort: 'wilson', open: '1', q: 'llama 3', category: 'coding', vendor: '' }),
    ).toBe('?q=llama+3&category=coding&open=1&sort=wilson');
    expect(stringifySearch({ q: undefined, extra: 2, open: true })).toBe('?open=1&extra=2');
    expect(stringifySearch({})).toBe('');
  });
});

describe('the leaderboard URL', () => {
  it('restores a view from its URL', async () => {
    const router = routerAt('/?q=llama&category=coding&open=1&sort=wilson');
    await router.load();
    expect(router.state.location.search).toEqual({
      q: 'llama',
      category: 'coding',
      open: '1',
      sort: 'wilson',
    });
  });

  it('drops bad parameters one by one instead of failing the page', async () => {
    const router = routerAt('/?q=%20%20&category=cooking&vendor=Meta&open=yes&sort=score&x=1');
    await router.load();
    const search = router.state.matches.at(-1)?.search ?? {};
    const defined = Object.entries(search).filter(([, v]) => v !== undefined);
    // Unknown parameters are the router's to keep; the view ignores them.
    expect(Object.fromEntries(defined)).toEqual({ vendor: 'Meta', x: '1' });
    expect(router.state.matches.at(-1)?.status).toBe('success');
  });

  it('writes plain query parameters when navigating', async () => {
    const router = routerAt('/');
    await router.load();
    await router.navigate({ to: '/', search: { q: 'gpt 5', open: '1', sort: 'wilson' } });
    expect(router.state.location.href).toBe('/?q=gpt+5&open=1&sort=wilson');
    await router.navigate({ to: '/', search: withoutFilters({ q: 'x', vendor: 'Meta' }) });
    expect(router.state.location.href).toBe('/');
  });
});

describe('filters', () => {
  it('counts q, category, vendor and open as filters, not the sort', () => {
    expect(hasFilters({ sort: 'wilson' })).toBe(false);
    expect(hasFilters({ open: '1' })).toBe(true);
    expect(withoutFilters({ q: 'a', category: 'chat', sort: 'wilson' })).toEqual({
      sort: 'wilson',
    });
  });

  it('keeps the trending sort and a whole UTC hour as asOf; drops any other time', async () => {
    const ok = routerAt('/?sort=trending&asOf=2026-12-01T14%3A00%3A00Z');
    await ok.load();
    expect(ok.state.matches.at(-1)?.search).toMatchObject({
      sort: 'trending',
      asOf: '2026-12-01T14:00:00Z',
    });
    for (const bad of [
      '2026-12-01T14:30:00Z',
      '2026-12-01',
      'yesterday',
      '2026-12-01T14:00:00+01:00',
    ]) {
      const router = routerAt(`/?asOf=${encodeURIComponent(bad)}`);
      await router.load();
      expect((router.state.matches.at(-1)?.search as { asOf?: string }).asOf).toBeUndefined();
    }
    expect(withoutFilters({ q: 'x', sort: 'trending', asOf: '2026-12-01T14:00:00Z' })).toEqual({
      sort: 'trending',
      asOf: '2026-12-01T14:00:00Z',
    });
  });
});
