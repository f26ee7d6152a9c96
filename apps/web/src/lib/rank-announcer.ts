export interface RankedModel {
  id: string;
  name: string;
  rank: number;
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
  private baseline = new Map<string, number>();
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
    let biggest: { model: RankedModel; by: number } | null = null;
    let changed = 0;
    for (const model of models) {
      const before = this.baseline.get(model.id);
      if (before === undefined || before === model.rank) continue;
      changed += 1;
      const by = before - model.rank;
      if (!biggest || Math.abs(by) > Math.abs(biggest.by)) biggest = { model, by };
    }
    if (!biggest) return none;
    const wait = this.lastAt + this.minIntervalMs - this.now();
    if (wait > 0) return { message: null, retryInMs: wait };
    this.lastAt = this.now();
    this.baseline = new Map(models.map((m) => [m.id, m.rank]));
    return { message: describe(biggest.model, biggest.by, changed - 1), retryInMs: null };
  }
}

function describe(model: RankedModel, by: number, others: number): string {
  const places = Math.abs(by) === 1 ? 'place' : 'places';
  const move = `${model.name} moved ${by > 0 ? 'up' : 'down'} ${Math.abs(by)} ${places} to rank ${model.rank}`;
  if (others === 0) return `${move}.`;
  return `${move}; ${others} other ${others === 1 ? 'model' : 'models'} changed rank.`;
}
