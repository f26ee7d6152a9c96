/** Categories a model can be listed under; the catalogue and filters use these slugs. */
export const LLM_CATEGORIES = [
  'chat',
  'coding',
  'reasoning',
  'multimodal',
  'long-context',
  'small',
  'embedding',
  'agents',
] as const;
export type LlmCategory = (typeof LLM_CATEGORIES)[number];

export const LLM_STATUSES = ['active', 'hidden', 'retired'] as const;
export type LlmStatus = (typeof LLM_STATUSES)[number];

/** A ballot: 1 up, -1 down, 0 retracted. */
export const VOTE_VALUES = [1, -1, 0] as const;
export type VoteValue = (typeof VOTE_VALUES)[number];

/** The seed's voting limit, per voter and per IP. */
export const VOTE_RATE_LIMIT = { points: 60, durationSec: 60 } as const;

/** Model ids are URL-safe slugs: lowercase letters, digits, dot, dash, underscore. */
export const LLM_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The worker's BullMQ queues (the api's board at /admin/queues shows the same three). */
export const QUEUE_FLUSH = 'vote-flush';
export const QUEUE_MAINTENANCE = 'maintenance';
/**
 * Long maintenance (backup, reconciliation, partitions) on a queue of its own, so a backup of
 * minutes never delays sync-redis, which restores a wiped Redis.
 */
export const QUEUE_BACKGROUND = 'background';
export const QUEUE_NAMES = [QUEUE_FLUSH, QUEUE_MAINTENANCE, QUEUE_BACKGROUND] as const;
