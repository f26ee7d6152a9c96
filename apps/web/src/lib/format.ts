import type { LlmCategory } from '@llmpt/shared';

const count = new Intl.NumberFormat('en');
const day = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' });

/** Counts in prose and details (`128,000`); table cells hold the plain number instead. */
export const formatCount = (n: number): string => count.format(n);

/** A Wilson lower bound (0..1) as a percentage with one decimal: `62.4%`. */
export const formatWilson = (w: number): string => `${(w * 100).toFixed(1)}%`;

/** A calendar date `YYYY-MM-DD` as `Mar 12, 2024` (read as UTC so it never shifts a day). */
export function formatDate(date: string): string {
  const t = Date.parse(`${date}T00:00:00Z`);
  return Number.isNaN(t) ? date : day.format(t);
}

/** 'long-context' → 'Long context'. */
export function categoryLabel(category: LlmCategory): string {
  const words = category.replaceAll('-', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Billions of parameters: `70B`, `1.5B`, `1.8T`. */
export function formatParameters(billions: number): string {
  if (billions >= 1000) return `${Number((billions / 1000).toFixed(1))}T`;
  return `${Number(billions.toFixed(billions < 10 ? 1 : 0))}B`;
}

/** Context window in tokens: `128K tokens`, `1M tokens`. */
export function formatContext(tokens: number): string {
  if (tokens >= 1_000_000) return `${Number((tokens / 1_000_000).toFixed(1))}M tokens`;
  if (tokens >= 1_000) return `${Math.round(tokens / 1_000)}K tokens`;
  return `${tokens} tokens`;
}

const clock = new Intl.DateTimeFormat('en', { timeStyle: 'medium' });
const dayAndClock = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });

/** When the board was last updated, in the voter's time zone: `10:42:13 AM`, or with the date. */
export function formatUpdated(at: number, now = Date.now()): string {
  const sameDay = new Date(at).toDateString() === new Date(now).toDateString();
  return sameDay ? clock.format(at) : dayAndClock.format(at);
}

/** A trending value as published (two decimals at most): "12.5", "-3", "0". */
export function formatTrending(value: number): string {
  return value.toLocaleString('en', { maximumFractionDigits: 2, useGrouping: false });
}
