// The "as of" URL parameter (docs/ui-contract.md): the start of a whole UTC hour,
// `2026-12-01T14:00:00Z`, as `AS_OF_HOUR` in the shared leaderboard-search schema accepts it.

const HOUR_MS = 3_600_000;

/**
 * A `datetime-local` value (the voter's local time, "2026-12-01T15:30") as the URL's `asOf`:
 * the start of its hour in UTC. Null for an empty or unreadable value.
 */
export function asOfHour(local: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(local)) return null;
  const ms = new Date(local).getTime(); // no zone: read as local time
  if (Number.isNaN(ms)) return null;
  return hourIso(Math.floor(ms / HOUR_MS) * HOUR_MS);
}

/** Start of an hour (ms) as `2026-12-01T14:00:00Z`. */
export const hourIso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 13)}:00:00Z`;

/** An ISO instant as a `datetime-local` value in the voter's time zone ("2026-12-01T15:00"). */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const hourFormat = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });
const clockFormat = new Intl.DateTimeFormat('en', { timeStyle: 'short' });

/**
 * An hour as its span in the voter's time zone, "Dec 1, 2026, 3:00 PM – 4:00 PM": a past board
 * is the board as it stood at the end of that hour.
 */
export function formatHourSpan(iso: string): string {
  const start = Date.parse(iso);
  return `${hourFormat.format(start)} – ${clockFormat.format(start + HOUR_MS)}`;
}
