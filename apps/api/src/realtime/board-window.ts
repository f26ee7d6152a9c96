import {
  type BoardKey,
  LIVE_OUTSIDE_WINDOW_MS,
  type LiveWindow,
  type LiveWireMessage,
  type RankRange,
  type RankingEntry,
  type RankingRules,
  type RankingSort,
  type RankingsSnapshot,
  type WireEntry,
  WireTable,
  encodeWireDiff,
  encodeWireSnapshot,
  inWindow,
  isSealed,
  rankRanges,
} from '@llmpt/shared';

import type { EntryFilter } from './live-messages.ts';
import type { FeedMessage } from './rankings-feed.ts';

/** A compact message and the id it is tracked with. */
export interface WireOut {
  id: string;
  message: LiveWireMessage;
}

/**
 * One board as a windowed subscription sees it (issue 16): the compact wire form
 * (`@llmpt/shared` live-wire.ts), entries inside the window every tick, the others held back and
 * sent together at most `outsideMs` later. Built once per room (ws) or per subscriber (SSE); it
 * follows every feed message in order.
 *
 * Invariant: a subscriber that has had this board's snapshot and every message after it holds
 * the current values of every model except those in `heldBack`, which are outside the window.
 * So a diff sends: the models it changed that are in the window now or were before (leaving it),
 * held-back models that came into the window, and models in the window whose rank range moved
 * (ranges depend on the whole board). When a held-back model has waited `outsideMs`, the next
 * message carries all held-back models (or `flush()` does, when no diff comes).
 */
export class BoardWindow {
  private readonly table = new WireTable();
  /** The board's current entries (this board's rank only), as of `id`. */
  private readonly latest = new Map<string, RankingEntry>();
  private readonly ranges = new Map<string, RankRange | null>();
  private readonly heldBack = new Set<string>();
  /** When the oldest held-back change was held back (ms, this process's clock). */
  private heldSince = 0;
  private rankedCount = 0;
  private lastId = '0-0';
  private lastAt = 0;
  private rules: RankingRules | undefined;

  constructor(
    private readonly board: BoardKey,
    private readonly filter: EntryFilter,
    readonly window: LiveWindow,
    private readonly outsideMs = LIVE_OUTSIDE_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get id(): string {
    return this.lastId;
  }

  /** Whether some changes wait (for the owner's `flush` timer). */
  get holding(): boolean {
    return this.heldBack.size > 0;
  }

  /** When the held-back changes are due (ms, `now`'s clock); Infinity when none wait. */
  get dueAt(): number {
    return this.heldBack.size > 0 ? this.heldSince + this.outsideMs : Infinity;
  }

  /** The whole board now, for a joining subscriber (does not change what the others hold). */
  snapshot(): WireOut {
    return {
      id: this.lastId,
      message: encodeWireSnapshot(
        this.table,
        this.lastAt,
        this.wireEntries(this.latest.keys()),
        this.rules,
      ),
    };
  }

  /**
   * The message for a feed message: a feed snapshot (a reload) resets everyone to the whole
   * board; a diff gives what the window needs. null: nothing for this board's subscribers.
   */
  apply(m: FeedMessage): WireOut | null {
    if (m.type === 'snapshot') {
      this.latest.clear();
      for (const raw of m.snapshot.entries) {
        const e = this.filter(raw);
        if (e) this.keep(e);
      }
      this.lastId = m.snapshot.id;
      this.lastAt = m.snapshot.at;
      this.rules = m.snapshot.rules;
      this.heldBack.clear();
      this.recount();
      this.table.takeAdded();
      return this.snapshot();
    }
    const { diff } = m;
    this.lastId = diff.id;
    this.lastAt = diff.at;
    const wasIn = new Map<string, boolean>();
    const changed: string[] = [];
    for (const raw of diff.entries) {
      const e = this.filter(raw);
      if (!e) continue;
      const before = this.latest.get(e.llmId);
      wasIn.set(e.llmId, before !== undefined && this.shows(before));
      this.keep(e);
      changed.push(e.llmId);
    }
    if (changed.length === 0) return null;
    const send = new Set<string>();
    const movedRanges = this.recount();
    for (const id of changed) {
      if (wasIn.get(id) || this.shows(this.latest.get(id)!)) send.add(id);
      else this.hold(id);
    }
    // A range depends on the whole board: it moves without the model changing.
    for (const id of movedRanges) {
      if (this.shows(this.latest.get(id)!)) send.add(id);
      else if (!send.has(id)) this.hold(id);
    }
    const due = this.heldBack.size > 0 && this.now() >= this.dueAt;
    for (const id of this.heldBack) {
      if (due || this.shows(this.latest.get(id)!)) send.add(id);
    }
    for (const id of send) this.heldBack.delete(id);
    const message = encodeWireDiff(this.table, diff.at, this.wireEntries(send));
    return message.e.length > 0 || message.n ? { id: diff.id, message } : null;
  }

  /** The held-back changes, now (tracked with the last id: they are as of it). */
  flush(): WireOut | null {
    if (this.heldBack.size === 0) return null;
    const message = encodeWireDiff(this.table, this.lastAt, this.wireEntries(this.heldBack));
    this.heldBack.clear();
    return { id: this.lastId, message };
  }

  private keep(e: RankingEntry): void {
    this.latest.set(e.llmId, e);
    this.table.ref(e.llmId);
  }

  private hold(id: string): void {
    if (this.heldBack.size === 0) this.heldSince = this.now();
    this.heldBack.add(id);
  }

  private rankOf(e: RankingEntry): number | null {
    return e.ranks[this.board] ?? null;
  }

  private shows(e: RankingEntry): boolean {
    return inWindow(this.window, this.rankOf(e), this.rankedCount);
  }

  /** Counts the ranked models and recomputes the rank ranges; returns the models whose moved. */
  private recount(): string[] {
    const rows = [...this.latest.values()];
    let ranked = 0;
    for (const e of rows) if (this.rankOf(e) !== null) ranked++;
    this.rankedCount = ranked;
    const sort = sortOfBoard(this.board);
    const sealed = rows.some((e) => isSealed(e));
    const computed =
      sort === 'trending' || sealed
        ? rows.map(() => null)
        : rankRanges(
            sort,
            rows.map((e) => ({ up: e.up, down: e.down, rank: this.rankOf(e) })),
          );
    const moved: string[] = [];
    rows.forEach((e, i) => {
      const next = computed[i] ?? null;
      const prev = this.ranges.get(e.llmId);
      if (prev === undefined || !sameRange(prev, next)) {
        this.ranges.set(e.llmId, next);
        if (prev !== undefined) moved.push(e.llmId);
      }
    });
    return moved;
  }

  private wireEntries(ids: Iterable<string>): WireEntry[] {
    const out: WireEntry[] = [];
    for (const id of ids) {
      const e = this.latest.get(id);
      if (!e) continue;
      const t = e as { up: number | null; down: number | null };
      out.push({
        llmId: id,
        up: t.up,
        down: t.down,
        trending: e.trending,
        rank: this.rankOf(e),
        rankRange: this.ranges.get(id) ?? null,
      });
    }
    return out;
  }

  /** Starts from the feed's current standings (the room's or subscription's creation). */
  init(now: RankingsSnapshot): this {
    for (const raw of now.entries) {
      const e = this.filter(raw);
      if (e) this.keep(e);
    }
    this.lastId = now.id;
    this.lastAt = now.at;
    this.rules = now.rules;
    this.recount();
    this.table.takeAdded();
    return this;
  }
}

function sameRange(a: RankRange | null, b: RankRange | null): boolean {
  return a === b || (a !== null && b !== null && a.best === b.best && a.worst === b.worst);
}

/** The sort of a board key ('coding:wilson' → 'wilson'). */
export function sortOfBoard(board: BoardKey): RankingSort {
  return (board.includes(':') ? board.slice(board.indexOf(':') + 1) : board) as RankingSort;
}
