import { rankChange } from '@llmpt/shared';

export interface RankedModel {
  id: string;
  name: string;
  /** Null: no votes yet (no rank, so no move to announce). */
  rank: number | null;
}

export interface AnnouncerOptions {
  /** At most one announcement per this many ms. */
  minIntervalMs?: number;
  now?: () => number;
}

export interface AnnouncerResult {
  /** What to announce now, or null. */
  message: string | null;
  /** Changes are waiting for the interval to pass: call `update` again after this many ms. */
  retryInMs: number | null;
}

/**
 * Turns a live board into polite, throttled screen-reader announcements: at most one per
 * `minIntervalMs`, summarising the biggest move since the previous announcement ("Qwen 3 moved
 * up 3 places to rank 2; 4 other models changed rank"). A burst of diffs is one message. The
 * first ranks of a board are the baseline, not news; switching board starts again.
 */
export class RankAnnouncer {
  private board: string | null = null;
  private baseline = new Map<string, number | null>();
  private lastAt = -Infinity;
  private readonly minIntervalMs: number;
  private readonly now: () => number;

  constructor(opts: AnnouncerOptions = {}) {
    this.minIntervalMs = opts.minIntervalMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  update(board: string, models: readonly RankedModel[]): AnnouncerResult {
    const none = { message: null, retryInMs: null };
    if (board !== this.board || this.baseline.size === 0) {
      this.board = board;
      this.baseline = new Map(models.map((m) => [m.id, m.rank]));
      return none;
    }
    // The news: the biggest move, or a model getting its first votes (it enters the ranking,
    // which outranks any move). Moves need a rank before and after, as the arrows do.
    let biggest: { model: RankedModel & { rank: number }; by: number | null } | null = null;
    let changed = 0;
    for (const model of models) {
      const before = this.baseline.get(model.id);
      if (before === undefined || before === model.rank) continue;
      changed += 1;
      if (model.rank === null) continue; // lost its votes: counted, not headlined
      const by = rankChange(before, model.rank);
      const weight = (b: number | null) => (b === null ? Number.POSITIVE_INFINITY : Math.abs(b));
      const better =
        !biggest ||
        weight(by) > weight(biggest.by) ||
        (by === null && biggest.by === null && model.rank < biggest.model.rank);
      if (better) biggest = { model: { ...model, rank: model.rank }, by };
    }
    if (!biggest) {
      // Only models that lost their votes: nothing to say, but not news again next time.
      if (changed > 0) this.baseline = new Map(models.map((m) => [m.id, m.rank]));
      return none;
    }
    const wait = this.lastAt + this.minIntervalMs - this.now();
    if (wait > 0) return { message: null, retryInMs: wait };
    this.lastAt = this.now();
    this.baseline = new Map(models.map((m) => [m.id, m.rank]));
    return { message: describe(biggest.model, biggest.by, changed - 1), retryInMs: null };
  }
}

function describe(
  model: { name: string; rank: number },
  by: number | null,
  others: number,
): string {
  const places = Math.abs(by ?? 0) === 1 ? 'place' : 'places';
  const move =
    by === null
      ? `${model.name} got its first votes: rank ${model.rank}`
      : `${model.name} moved ${by > 0 ? 'up' : 'down'} ${Math.abs(by)} ${places} to rank ${model.rank}`;
  if (others === 0) return `${move}.`;
  return `${move}; ${others} other ${others === 1 ? 'model' : 'models'} changed rank.`;
}
