import {
  type FlagEvidence,
  type FlagStatus,
  type IntegrityFlag,
  MAX_BAN_HOURS,
} from '@llmpt/shared';

/** The review queue's filter, as `admin.integrity.list` takes it. */
export type QueueFilter = 'pending' | 'confirmed' | 'dismissed' | 'all';
export const QUEUE_FILTERS: ReadonlyArray<{ value: QueueFilter; label: string }> = [
  { value: 'pending', label: 'Pending' },
  { value: 'confirmed', label: 'Confirmed' },
  { value: 'dismissed', label: 'Dismissed' },
  { value: 'all', label: 'All' },
];

/** A flag's state in words; the transitional ones say the worker is still at it. */
export const FLAG_STATUS_LABEL: Record<FlagStatus, string> = {
  voiding: 'Removing its votes…',
  open: 'Waiting for review',
  confirmed: 'Confirmed',
  restoring: 'Restoring its votes…',
  dismissed: 'Dismissed',
};

/** Only an open flag can be reviewed (the others are being processed, or were reviewed). */
export const canReview = (flag: Pick<IntegrityFlag, 'status'>): boolean => flag.status === 'open';

/** A keyed hash, shortened for people: the first 10 characters ("3f9a0c12d4…"). */
export function shortHash(hash: string): string {
  return hash.length <= 12 ? hash : `${hash.slice(0, 10)}…`;
}

/** A window length: "45 s", "10 min", "2 h", "1 h 30 min". */
export function formatWindow(sec: number): string {
  if (sec < 120) return `${sec} s`;
  const min = Math.round(sec / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const rest = min % 60;
  return rest === 0 ? `${h} h` : `${h} h ${rest} min`;
}

/**
 * Each count the rule measured beside the threshold it was compared with (null when the rule
 * has no threshold of that name), counts first in their own order, then thresholds of no count.
 */
export function evidenceCounts(
  evidence: Pick<FlagEvidence, 'counts' | 'thresholds'>,
): Array<{ name: string; count: number | null; threshold: number | null }> {
  const out: Array<{ name: string; count: number | null; threshold: number | null }> = [];
  for (const [name, count] of Object.entries(evidence.counts)) {
    out.push({ name, count, threshold: evidence.thresholds[name] ?? null });
  }
  for (const [name, threshold] of Object.entries(evidence.thresholds)) {
    if (!(name in evidence.counts)) out.push({ name, count: null, threshold });
  }
  return out;
}

/** "newVoters" → "new voters", "maxPerMinute" → "max per minute". */
export function countName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/** The ban length typed by the admin: whole hours within what the api accepts. */
export function parseBanHours(text: string): { hours: number } | { error: string } {
  const t = text.trim();
  const n = Number(t);
  if (t === '' || !Number.isInteger(n)) return { error: 'Must be a whole number of hours.' };
  if (n < 1) return { error: 'A ban lasts at least 1 hour.' };
  if (n > MAX_BAN_HOURS) return { error: `A ban lasts at most ${MAX_BAN_HOURS} hours.` };
  return { hours: n };
}

/** What confirming will do, for the confirmation step. */
export function confirmSummary(
  flag: Pick<IntegrityFlag, 'votes' | 'voters'>,
  ban: { voters: boolean; prefix: boolean; hours: number },
): string {
  const keep = `Its ${flag.votes} ${flag.votes === 1 ? 'vote stays' : 'votes stay'} removed`;
  const who = [
    ban.voters ? `${flag.voters} voter ${flag.voters === 1 ? 'id' : 'ids'}` : null,
    ban.prefix ? 'its network' : null,
  ].filter(Boolean);
  if (who.length === 0) return `${keep}; nobody is banned.`;
  return `${keep}, and ${who.join(' and ')} can’t vote for ${ban.hours} ${ban.hours === 1 ? 'hour' : 'hours'}.`;
}

/** What dismissing will do, for the confirmation step. */
export function dismissSummary(flag: Pick<IntegrityFlag, 'votes'>): string {
  return `Its ${flag.votes} ${flag.votes === 1 ? 'vote is' : 'votes are'} restored and count again; the rankings change back on every screen.`;
}
