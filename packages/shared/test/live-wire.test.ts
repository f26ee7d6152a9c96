import { describe, expect, it } from 'vitest';

import {
  LiveWireDecoder,
  type LiveWireMessage,
  type WireEntry,
  WireTable,
  bucketWindow,
  encodeWireDiff,
  encodeWireSnapshot,
  inWindow,
  isLiveWireMessage,
  liveWindowSchema,
  wilsonLowerBound,
} from '../src/index.ts';

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomEntry(r: () => number, llmId: string, sealed: boolean): WireEntry {
  const int = (n: number) => Math.floor(r() * n);
  const rank = r() < 0.1 ? null : 1 + int(150);
  const up = sealed ? null : int(r() < 0.5 ? 100 : 10_000_000);
  const down = sealed ? null : int(r() < 0.5 ? 100 : 10_000_000);
  const trending = sealed ? null : Math.round((r() - 0.3) * 1e6) / 100;
  const rankRange =
    sealed || rank === null || r() < 0.2
      ? null
      : { best: Math.max(1, rank - int(5)), worst: rank + int(5) };
  return { llmId, up, down, trending, rank, rankRange };
}

/** What the page must end up holding for `e` on board `board`. */
function expected(e: WireEntry, board: string) {
  return {
    llmId: e.llmId,
    up: e.up,
    down: e.down,
    score: e.up === null || e.down === null ? null : e.up - e.down,
    wilson: e.up === null || e.down === null ? null : wilsonLowerBound(e.up, e.down),
    trending: e.trending,
    ranks: { [board]: e.rank },
    rankRange: e.rank === null ? null : e.rankRange,
  };
}

describe('live wire codec', () => {
  it('round-trips random boards through snapshots and diffs over JSON (200 streams)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const board = r() < 0.5 ? 'score' : 'coding:wilson';
      const sealed = r() < 0.15;
      const table = new WireTable();
      const server = new Map<string, WireEntry>();
      let models = 1 + Math.floor(r() * 40);
      for (let i = 0; i < models; i++) {
        const id = `m-${seed}-${i}`;
        table.ref(id);
        server.set(id, randomEntry(r, id, sealed));
      }
      table.takeAdded();
      const decoder = new LiveWireDecoder(board);
      const held = new Map<string, unknown>();
      const wire = (m: LiveWireMessage) => JSON.parse(JSON.stringify(m)) as LiveWireMessage;

      const snap = decoder.decode('1-0', wire(encodeWireSnapshot(table, 1, [...server.values()])));
      expect(snap.type).toBe('snapshot');
      for (const e of snap.type === 'snapshot' ? snap.snapshot.entries : []) held.set(e.llmId, e);

      for (let step = 0; step < 30; step++) {
        // Some models change, some are new (added to the table, sent or not), order shuffled.
        const changed: WireEntry[] = [];
        for (const id of server.keys()) {
          if (r() < 0.3) changed.push(randomEntry(r, id, sealed));
        }
        const fresh = Math.floor(r() * 3);
        for (let i = 0; i < fresh; i++) {
          const id = `m-${seed}-${models++}`;
          if (r() < 0.5) table.ref(id); // known to the table, its entry held back
          changed.push(randomEntry(r, id, sealed));
        }
        changed.sort(() => r() - 0.5);
        for (const e of changed) server.set(e.llmId, e);
        const id = `${step + 2}-0`;
        const out = decoder.decode(id, wire(encodeWireDiff(table, step, changed)));
        expect(out.type).toBe('diff');
        for (const e of out.type === 'diff' ? out.diff.entries : []) held.set(e.llmId, e);
        // A snapshot now and then, as a resubscription or a feed reload brings.
        if (r() < 0.1) {
          held.clear();
          const s = decoder.decode(id, wire(encodeWireSnapshot(table, step, [...server.values()])));
          for (const e of s.type === 'snapshot' ? s.snapshot.entries : []) held.set(e.llmId, e);
        }
      }
      expect(Object.fromEntries(held)).toEqual(
        Object.fromEntries([...server.values()].map((e) => [e.llmId, expected(e, board)])),
      );
    }
  });

  it('refuses malformed messages and keeps its table', () => {
    const table = new WireTable();
    const a: WireEntry = {
      llmId: 'a',
      up: 3,
      down: 1,
      trending: 1.5,
      rank: 1,
      rankRange: { best: 1, worst: 2 },
    };
    const decoder = new LiveWireDecoder('score');
    table.ref('a');
    decoder.decode('1-0', encodeWireSnapshot(table, 1, [a]));
    const bad: unknown[] = [
      { k: 'x', at: 1, e: [] },
      { k: 'd', at: 1, e: [0, 1, 2] },
      { k: 'd', at: 1, e: [5, 1, 1, 0, 1, 0, 0] },
      { k: 'd', at: 1, n: [3, 'b'], e: [] },
      { k: 'd', at: 1, n: [1, 'b'], e: [1, 'x', 1, 0, 1, 0, 0] },
      { k: 'd', at: 1, n: [1, 'c'], e: [1, 1, 1, 0, 1, 0, null] },
      { k: 's', at: 1, e: [] },
    ];
    for (const m of bad) {
      expect(() => decoder.decode('2-0', m as LiveWireMessage)).toThrow(/live wire/);
    }
    // None of those added 'b' or 'c': index 1 is still unknown, index 0 still 'a'.
    expect(() => decoder.decode('3-0', { k: 'd', at: 1, e: [1, 1, 1, 0, 1, 0, 0] })).toThrow(
      /unknown model index 1/,
    );
    const ok = decoder.decode('3-0', { k: 'd', at: 2, e: [0, 5, 1, 0, 1, 0, 0] });
    expect(ok).toMatchObject({
      type: 'diff',
      diff: { entries: [{ llmId: 'a', up: 5, score: 4 }] },
    });
    expect(isLiveWireMessage(ok)).toBe(false);
    expect(isLiveWireMessage({ k: 'd', at: 1, e: [] })).toBe(true);
  });

  it('a sealed entry carries no tally, trending or rank range; a half-sealed one is refused', () => {
    const table = new WireTable();
    table.ref('s');
    const sealed: WireEntry = {
      llmId: 's',
      up: null,
      down: null,
      trending: null,
      rank: 2,
      rankRange: null,
    };
    const decoder = new LiveWireDecoder('score');
    const m = encodeWireSnapshot(table, 1, [sealed]);
    expect(m.e).toEqual([0, null, null, null, 2, null, null]);
    const decoded = decoder.decode('1-0', m);
    expect(decoded.type === 'snapshot' && decoded.snapshot.entries[0]).toEqual({
      llmId: 's',
      up: null,
      down: null,
      score: null,
      wilson: null,
      trending: null,
      ranks: { score: 2 },
      rankRange: null,
    });
    for (const e of [
      [0, null, null, 1.5, 2, null, null], // trending beside a withheld tally
      [0, 3, 1, null, 2, null, null], // a tally without its trending
      [0, null, null, null, 2, 0, 1], // a rank range on a sealed entry
    ]) {
      expect(() => decoder.decode('2-0', { k: 'd', at: 2, e })).toThrow(/live wire/);
    }
  });

  it('a snapshot refuses entries the table does not hold', () => {
    const table = new WireTable();
    const e: WireEntry = { llmId: 'z', up: 1, down: 0, trending: 0, rank: 1, rankRange: null };
    expect(() => encodeWireSnapshot(table, 1, [e])).toThrow(/table does not hold/);
  });

  it('windows: buckets of 25 ranks; unranked models are inside past the last ranked one', () => {
    expect(bucketWindow({ from: 1, to: 18 })).toEqual({ from: 1, to: 25 });
    expect(bucketWindow({ from: 20, to: 30 })).toEqual({ from: 1, to: 50 });
    expect(bucketWindow({ from: 26, to: 50 })).toEqual({ from: 26, to: 50 });
    expect(bucketWindow({ from: 51, to: 51 })).toEqual({ from: 51, to: 75 });
    const w = { from: 26, to: 50 };
    expect([25, 26, 50, 51].map((rank) => inWindow(w, rank, 100))).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(inWindow(w, null, 60)).toBe(false);
    expect(inWindow(w, null, 49)).toBe(true);
    expect(liveWindowSchema.safeParse({ from: 5, to: 4 }).success).toBe(false);
    expect(liveWindowSchema.safeParse({ from: 0, to: 4 }).success).toBe(false);
    expect(liveWindowSchema.safeParse({ from: 1, to: 4, x: 1 }).success).toBe(false);
    expect(liveWindowSchema.safeParse({ from: 1, to: 4 }).success).toBe(true);
  });
});
