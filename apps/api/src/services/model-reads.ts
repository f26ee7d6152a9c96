import { listScoreHistory } from '@llmpt/db';
import type { Llm, LlmHistory, RankingRow } from '@llmpt/shared';

import type { Deps } from '../context.ts';
import { windowStart } from './trends.ts';

/**
 * One model's hourly tally and overall rank over the last `days` days, oldest first, from
 * `llm_score_history` (rolled by the worker): `llm.history` and GET /api/v1/models/{id}/history.
 */
export async function modelHistory(deps: Deps, llm: Llm, days: number): Promise<LlmHistory> {
  const rows = await listScoreHistory(deps.reads(), {
    llmId: llm.id,
    since: windowStart(days * 24),
  });
  return {
    llmId: llm.id,
    points: rows.map(({ hour, up, down, score, rank }) => ({
      hour: hour.toISOString(),
      up,
      down,
      score,
      rank,
    })),
  };
}

/**
 * A model's row on the live overall board by score (rank, provisional, rank range, trending):
 * the row `rankings.list` shows, so the public API, the badge and the page agree. Undefined when
 * the board does not list it (a model added since the ranker's last tick is listed unranked).
 */
export async function modelStanding(deps: Deps, llm: Llm): Promise<RankingRow | undefined> {
  const rows = await deps.rankings.list({ sort: 'score' });
  return rows.find((r) => r.llm.id === llm.id);
}
