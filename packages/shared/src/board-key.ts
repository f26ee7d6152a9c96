import type { LlmCategory } from './constants.ts';
import type { RankingSort } from './schemas/rankings.schema.ts';

// Kept apart from live.schema.ts: the web app needs `boardKey` on its first page, and importing
// it from a module that builds zod schemas at load would pull zod into that bundle (~25 KB gz).

/**
 * A leaderboard: the overall board per sort ('score', 'wilson') or one category's board per sort
 * ('coding:score'). Every ranking entry carries its rank on every board the model is on.
 */
export type BoardKey = RankingSort | `${LlmCategory}:${RankingSort}`;

export function boardKey(sort: RankingSort, category?: LlmCategory): BoardKey {
  return category ? `${category}:${sort}` : sort;
}
