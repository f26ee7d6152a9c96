import type { RankRange } from './rank.ts';
import type { RankingRules } from './schemas/rankings.schema.ts';
import type {
  BoardKey,
  LiveMessage,
  RankingEntry,
  RankingsDiff,
  RankingsSnapshot,
} from './schemas/live.schema.ts';
import { wilsonLowerBound } from './wilson.ts';

/**
 * The compact wire form of `rankings.live` (issue 16), THE codec: the api encodes with it, the
 * page decodes with it. A subscription asks for it by giving a `window` (the ranks its screen
 * shows); without one it gets the verbose `LiveMessage`s as before (old pages, scripts, tests).
 *
 * A message is `{ k, at, n?, e }`, the tracked data of one `tracked(id, …)`:
 * - `k`: 's' a snapshot (the whole board: replaces everything held), 'd' a diff.
 * - `at`: when the ranker computed the standings (ms since epoch).
 * - `n`: `[start, id, id, …]`: model ids the stream's table holds from index `start` on. A
 *   snapshot sends the whole table (`start` 0, the decoder starts a new one); a diff only the ids
 *   it adds. Entries name models by their index in the table (2 bytes, not a 12-byte id).
 * - `e`: the entries, flat, {@link WIRE_STRIDE} values each: `ref, up, down, trending, rank,
 *   rank − best, worst − rank` (the 95 % rank range as offsets from the rank; null: none).
 *   Absolute values, so applying one twice changes nothing. `score` and `wilson` are not sent:
 *   the page derives them from up/down by the shared functions. A sealed board ('hide-results')
 *   sends null up, down and trending, and no rank range.
 * - `r`: a snapshot's ranking rules (RankingsSnapshot.rules), when known.
 */
export interface LiveWireMessage {
  k: 's' | 'd';
  at: number;
  n?: Array<number | string>;
  e: Array<number | string | null>;
  /** A snapshot's: the rules the ranks were computed by, when the ranker stated them. */
  r?: RankingRules;
}

/** Values per entry in `LiveWireMessage.e`. */
export const WIRE_STRIDE = 7;

/** Windows are widened to multiples of this many ranks: every screen of a bucket shares a room. */
export const LIVE_WINDOW_BUCKET = 25;

/**
 * Entries outside a subscription's window wait at most this long (then all that changed go in
 * one message): they are not on the voter's screen; a window change resubscribes (a snapshot).
 * 5 s: off-screen rows (the rank announcer, arrows, rows a search brings up) stay fresh enough;
 * measured 1.4 KB/s for a top-25 subscriber under uniform 5,000 votes/s (10 s: 1.3 KB/s).
 */
export const LIVE_OUTSIDE_WINDOW_MS = 5_000;

/** The largest rank a window may name (far beyond any catalogue). */
export const LIVE_WINDOW_MAX_RANK = 10_000;

/**
 * The ranks a page shows (1-based, both ends included). Models with no rank (no or too few
 * votes, listed after the ranked ones) are inside when `to` passes the last ranked model.
 * Validated by `liveWindowSchema` (schemas/live.schema.ts: this module builds no zod schema, so
 * the page's first bundle, which decodes the feed, carries no zod).
 */
export interface LiveWindow {
  from: number;
  to: number;
}

/** The window widened to whole buckets (1–25, 26–50, …): the room a subscription joins. */
export function bucketWindow(w: LiveWindow): LiveWindow {
  const b = LIVE_WINDOW_BUCKET;
  return {
    from: Math.floor((w.from - 1) / b) * b + 1,
    to: Math.min(Math.ceil(w.to / b) * b, LIVE_WINDOW_MAX_RANK),
  };
}

/**
 * Whether a rank shows in the window. `rankedCount`: the models on the board with a rank; the
 * unranked ones are listed after them, at positions `rankedCount + 1` on.
 */
export function inWindow(w: LiveWindow, rank: number | null, rankedCount: number): boolean {
  if (rank === null) return w.to > rankedCount;
  return rank >= w.from && rank <= w.to;
}

/** One board entry as the compact form carries it (the board's rank only). */
export interface WireEntry {
  llmId: string;
  /** null: withheld (a sealed board). */
  up: number | null;
  down: number | null;
  trending: number | null;
  rank: number | null;
  rankRange: RankRange | null;
}

/** A decoded entry: a `RankingEntry` of one board, with the rank range the server computed. */
export type LiveWireEntry = RankingEntry & { rankRange: RankRange | null };

/** The model ids a stream's entries refer to by index (the encoder's side). */
export class WireTable {
  readonly ids: string[] = [];
  private readonly index = new Map<string, number>();
  /** How many ids the stream's subscribers have been told of. */
  private told = 0;

  /** The model's index, added at the end when new. */
  ref(llmId: string): number {
    let i = this.index.get(llmId);
    if (i === undefined) {
      i = this.ids.length;
      this.ids.push(llmId);
      this.index.set(llmId, i);
    }
    return i;
  }

  /** The ids added since the last diff (`[start, …ids]`), now told; undefined when none. */
  takeAdded(): Array<number | string> | undefined {
    if (this.told === this.ids.length) return undefined;
    const added = [this.told, ...this.ids.slice(this.told)];
    this.told = this.ids.length;
    return added;
  }
}

/**
 * A compact diff (`k: 'd'`) of `entries`, naming models by `table` (ids new to it are added and
 * sent in `n`, with any the caller added since the last diff).
 */
export function encodeWireDiff(
  table: WireTable,
  at: number,
  entries: readonly WireEntry[],
): LiveWireMessage {
  const e = flatten(table, entries);
  const n = table.takeAdded();
  return n ? { k: 'd', at, n, e } : { k: 'd', at, e };
}

/**
 * A compact snapshot (`k: 's'`): the whole table and every entry. The table must already hold
 * every entry's model (a snapshot tells a subscriber the table; it does not add to it).
 */
export function encodeWireSnapshot(
  table: WireTable,
  at: number,
  entries: readonly WireEntry[],
  rules?: RankingRules,
): LiveWireMessage {
  const before = table.ids.length;
  const e = flatten(table, entries);
  if (table.ids.length !== before) {
    throw new Error('encodeWireSnapshot: an entry names a model the table does not hold');
  }
  const n = [0, ...table.ids];
  return rules ? { k: 's', at, n, e, r: rules } : { k: 's', at, n, e };
}

function flatten(table: WireTable, entries: readonly WireEntry[]): Array<number | string | null> {
  const e: Array<number | string | null> = [];
  for (const x of entries) {
    const range = x.rank === null ? null : x.rankRange;
    e.push(
      table.ref(x.llmId),
      x.up,
      x.down,
      x.trending,
      x.rank,
      range ? x.rank! - range.best : null,
      range ? range.worst - x.rank! : null,
    );
  }
  return e;
}

/** Whether a tracked value is the compact form (a verbose `LiveMessage` has `type`). */
export function isLiveWireMessage(data: unknown): data is LiveWireMessage {
  return typeof data === 'object' && data !== null && 'k' in data && !('type' in data);
}

/**
 * The page's side: one per subscription (a table lives as long as its stream). Turns each
 * compact message into the `LiveMessage` it stands for (entries of `board` only, score and
 * Wilson derived, each with its rank range). Throws on a malformed message (nothing applied):
 * the caller starts a new subscription, which begins with a snapshot.
 */
export class LiveWireDecoder {
  private table: string[] = [];
  private readonly board: BoardKey;

  constructor(board: BoardKey) {
    this.board = board;
  }

  decode(id: string, m: LiveWireMessage): LiveMessage & { type: 'snapshot' | 'diff' } {
    if ((m.k !== 's' && m.k !== 'd') || typeof m.at !== 'number' || !Array.isArray(m.e)) {
      throw new Error('live wire: not a compact message');
    }
    if (m.e.length % WIRE_STRIDE !== 0) throw new Error('live wire: entries of the wrong length');
    const table = m.k === 's' ? [] : [...this.table];
    if (m.n !== undefined) {
      const [start, ...ids] = m.n;
      if (typeof start !== 'number' || start !== (m.k === 's' ? 0 : table.length)) {
        throw new Error(`live wire: table out of step (${String(start)} vs ${table.length})`);
      }
      for (const x of ids) {
        if (typeof x !== 'string') throw new Error('live wire: a table id is not a string');
        table.push(x);
      }
    } else if (m.k === 's') {
      throw new Error('live wire: a snapshot without its table');
    }
    const entries: LiveWireEntry[] = [];
    for (let i = 0; i < m.e.length; i += WIRE_STRIDE) {
      const [ref, up, down, trending, rank, less, more] = m.e.slice(i, i + WIRE_STRIDE);
      const llmId = typeof ref === 'number' ? table[ref] : undefined;
      if (llmId === undefined) throw new Error(`live wire: unknown model index ${String(ref)}`);
      if (rank !== null && typeof rank !== 'number') throw new Error('live wire: bad rank');
      const ranged = typeof less === 'number' && typeof more === 'number';
      if (!ranged && (less !== null || more !== null)) throw new Error('live wire: bad rank range');
      const rankRange = rank === null || !ranged ? null : { best: rank - less, worst: rank + more };
      const ranks = { [this.board]: rank } as RankingEntry['ranks'];
      if (up === null && down === null && trending === null) {
        // Sealed: the tallies withheld, as the verbose sealed entry has them.
        if (rankRange !== null) throw new Error('live wire: a rank range on a sealed entry');
        const sealed = { llmId, up, down, score: null, wilson: null, trending, ranks, rankRange };
        entries.push(sealed as unknown as LiveWireEntry);
      } else if (
        typeof up === 'number' &&
        typeof down === 'number' &&
        typeof trending === 'number'
      ) {
        entries.push({
          llmId,
          up,
          down,
          score: up - down,
          wilson: wilsonLowerBound(up, down),
          trending,
          ranks,
          rankRange,
        });
      } else {
        throw new Error('live wire: bad tally');
      }
    }
    this.table = table;
    if (m.k === 's') {
      const snapshot: RankingsSnapshot = m.r
        ? { id, at: m.at, entries, rules: m.r }
        : { id, at: m.at, entries };
      return { type: 'snapshot', snapshot };
    }
    const diff: RankingsDiff = { id, at: m.at, entries };
    return { type: 'diff', diff };
  }
}
