import type { ModelTally } from '@llmpt/shared';

import type { Tally } from '../ballot.ts';

/** One model's tally as `rankings.revealed` answers it. */
export type RevealedTally = Pick<ModelTally, 'llmId' | 'up' | 'down' | 'trending'>;

/** A revealed model's numbers as the board shows them. */
export type RevealedNumbers = Tally & { trending: number };

/**
 * The procedure hidden results read (written out, as `LiveApi` is): the tallies of the models
 * this voter has voted on, the only ones a voter with 'hide-results' on may see.
 */
export interface RevealedApi {
  rankings: { revealed: { query(): Promise<readonly RevealedTally[]> } };
}

export interface RevealedState {
  tallies: ReadonlyMap<string, RevealedNumbers>;
  /** True once a read has answered. */
  loaded: boolean;
}

export interface RevealedTalliesOptions {
  /** At most one read this often (ms): a busy board moves voted models many times a second. */
  minIntervalMs?: number;
}

/**
 * The voter's revealed tallies for `useSyncExternalStore`. `request()` asks for a fresh read,
 * after a vote or when the live feed moved a voted model; requests are coalesced to at most one
 * read a second (one trailing read catches whatever came during the wait). A failed read keeps
 * the tallies held; the next request tries again.
 */
export class RevealedTallies {
  private state: RevealedState = { tallies: new Map(), loaded: false };
  private readonly listeners = new Set<() => void>();
  private lastReadAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private reading = false;
  private again = false;

  constructor(
    private readonly api: RevealedApi,
    private readonly opts: RevealedTalliesOptions = {},
  ) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): RevealedState => this.state;

  /** A read soon: now if none in the last interval, else once the interval is over. */
  request = (): void => {
    if (this.reading) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    const wait = this.lastReadAt + (this.opts.minIntervalMs ?? 1_000) - Date.now();
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.read();
      },
      Math.max(0, wait),
    );
  };

  /** Cancels a pending read (the page no longer hides results). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.again = false;
  }

  private async read(): Promise<void> {
    this.reading = true;
    this.lastReadAt = Date.now();
    try {
      const rows = await this.api.rankings.revealed.query();
      this.state = {
        tallies: new Map(
          rows.map((r) => [r.llmId, { up: r.up, down: r.down, trending: r.trending }]),
        ),
        loaded: true,
      };
      for (const listener of [...this.listeners]) listener();
    } catch {
      // The tallies held stay; the next vote or live move asks again.
    } finally {
      this.reading = false;
      if (this.again) {
        this.again = false;
        this.request();
      }
    }
  }
}
