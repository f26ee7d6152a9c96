import * as z from 'zod/mini';

import { LLM_CATEGORIES } from '../constants.ts';

/** A whole UTC hour as the URL writes it: `2026-12-01T14:00:00Z` (minutes and seconds 0). */
export const AS_OF_HOUR = /^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$/;

/** A value that must fit `schema`, or is dropped: a bad URL shows the default view, not an error. */
const orDrop = <T extends z.ZodMiniType>(schema: T) => z.catch(z.optional(schema), undefined);

/**
 * The leaderboard's view as plain query parameters (docs/ui-contract.md): `q` search text,
 * `category` id, `vendor` name as shown, `open=1` open weights only, `sort=wilson|trending` (the
 * default, `score`, is never written), `asOf` the start of a past hour (ISO 8601 UTC,
 * `2026-12-01T14:00:00Z`): the stored board of that hour instead of the live one. Every field is optional and validated on its own, so one bad
 * parameter falls back to its default and leaves the others. `zod/mini` keeps it small for the
 * page's first bundle.
 */
export const leaderboardSearchSchema = z.object({
  q: orDrop(z.string().check(z.trim(), z.minLength(1), z.maxLength(100))),
  category: orDrop(z.enum(LLM_CATEGORIES)),
  vendor: orDrop(z.string().check(z.trim(), z.minLength(1), z.maxLength(64))),
  open: orDrop(z.literal('1')),
  sort: orDrop(z.enum(['wilson', 'trending'])),
  asOf: orDrop(z.string().check(z.regex(AS_OF_HOUR))),
});
export type LeaderboardSearch = z.output<typeof leaderboardSearchSchema>;
