import type { LeaderboardSearch } from '@llmpt/shared';

/** The order parameters are written in, so one view has one URL. Others follow, by name. */
const PARAM_ORDER = ['q', 'category', 'vendor', 'open', 'sort', 'asOf'];

const position = (key: string) => {
  const i = PARAM_ORDER.indexOf(key);
  return i < 0 ? PARAM_ORDER.length : i;
};

/**
 * The router's `parseSearch`: plain `URLSearchParams` values, every one a string (the router's
 * default would JSON-parse them, so `?q=123` became a number and `?q="x"` lost its quotes).
 * The route's `validateSearch` then types and checks them. A repeated key keeps its last value.
 * @see https://tanstack.com/router/latest/docs/framework/react/guide/custom-search-param-serialization
 */
export function parseSearch(search: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(search)) out[key] = value;
  return out;
}

/**
 * The router's `stringifySearch`: `?q=llama&category=coding&open=1&sort=wilson`, unquoted, in a
 * fixed order, leaving out empty and undefined values ('' when nothing is left).
 */
export function stringifySearch(search: Record<string, unknown>): string {
  const params = new URLSearchParams();
  const keys = Object.keys(search).sort((a, b) => position(a) - position(b) || (a < b ? -1 : 1));
  for (const key of keys) {
    const value = search[key];
    if (typeof value === 'string' ? value !== '' : typeof value === 'number') {
      params.set(key, String(value));
    } else if (value === true) {
      params.set(key, '1');
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** True when the view filters the models (the sort alone doesn't). */
export function hasFilters(search: LeaderboardSearch): boolean {
  return Boolean(search.q || search.category || search.vendor || search.open);
}

/** The same view without its filters: what "Clear filters" navigates to. */
export function withoutFilters(search: LeaderboardSearch): LeaderboardSearch {
  const { sort, asOf } = search;
  return { ...(sort ? { sort } : {}), ...(asOf ? { asOf } : {}) };
}
