import { describe, expect, it } from 'vitest';

import { createConnectionStore } from './connection-store.ts';
import type { LatencyReport } from './live-contract.ts';
import { type SlotStorage, sharedThrottle } from './shared-throttle.ts';

function storeWithClock(reportEveryMs = 30_000) {
  let now = 1_000_000;
  const reports: LatencyReport[] = [];
  const store = createConnectionStore({
    report: (r) => {
      reports.push(r);
      return Promise.resolve();
    },
    reportEveryMs,
    now: () => now,
  });
  return { store, reports, advance: (ms: number) => (now += ms) };
}

describe('connection store', () => {
  it('reports the first measurement at once, then at most one per window', () => {
    const { store, reports, advance } = storeWithClock();
    store.setConnection('live', 'ws');
    store.recordLatency(12.34, 'ws');
    advance(29_999);
    store.recordLatency(20, 'ws');
    expect(reports).toEqual([{ rttMs: 12.3, transport: 'ws' }]);
    advance(1);
    store.recordLatency(25, 'ws');
    expect(reports).toEqual([
      { rttMs: 12.3, transport: 'ws' },
      { rttMs: 25, transport: 'ws' },
    ]);
    expect(store.getSnapshot().latencyMs).toBe(25);
  });

  it('ignores a measurement taken on a transport no longer in use', () => {
    const { store, reports } = storeWithClock();
    store.setConnection('live', 'sse');
    store.recordLatency(5, 'ws');
    expect(store.getSnapshot().latencyMs).toBeNull();
    expect(reports).toEqual([]);
  });

  it('forgets the latency when the transport changes, not when only the status does', () => {
    const { store } = storeWithClock();
    store.setConnection('live', 'ws');
    store.recordLatency(8, 'ws');
    store.setConnection('reconnecting', 'ws');
    expect(store.getSnapshot().latencyMs).toBe(8);
    store.setConnection('reconnecting', 'sse');
    expect(store.getSnapshot()).toEqual({
      status: 'reconnecting',
      transport: 'sse',
      latencyMs: null,
    });
  });

  it('keeps the same snapshot object and notifies nobody when nothing changed', () => {
    const { store } = storeWithClock();
    let calls = 0;
    const unsubscribe = store.subscribe(() => (calls += 1));
    const before = store.getSnapshot();
    store.setConnection('connecting', 'ws');
    expect(store.getSnapshot()).toBe(before);
    store.setConnection('live', 'ws');
    expect(calls).toBe(1);
    unsubscribe();
    store.setConnection('polling', 'polling');
    expect(calls).toBe(1);
  });

  it('survives a failing report (rate limited, offline)', async () => {
    const store = createConnectionStore({ report: () => Promise.reject(new Error('429')) });
    store.setConnection('live', 'ws');
    expect(() => store.recordLatency(3, 'ws')).not.toThrow();
    await Promise.resolve();
    expect(store.getSnapshot().latencyMs).toBe(3);
  });

  it('reports once per window across the tabs of one browser (shared storage)', () => {
    const kept = new Map<string, string>();
    const storage: SlotStorage = {
      getItem: (k) => kept.get(k) ?? null,
      setItem: (k, v) => void kept.set(k, v),
    };
    let now = 5_000_000;
    const reports: string[] = [];
    const tabs = ['a', 'b', 'c', 'd'].map((tab) =>
      createConnectionStore({
        report: () => (reports.push(tab), Promise.resolve()),
        reportThrottle: sharedThrottle('latency-report', 60_000, storage),
        now: () => now,
      }),
    );
    for (const tab of tabs) {
      tab.setConnection('live', 'ws');
      tab.recordLatency(10, 'ws');
    }
    expect(reports).toEqual(['a']);
    now += 59_999;
    for (const tab of tabs) tab.recordLatency(11, 'ws');
    expect(reports).toEqual(['a']);
    now += 1;
    for (const tab of tabs) tab.recordLatency(12, 'ws');
    expect(reports).toEqual(['a', 'a']);
    // Every tab still shows its own measurement.
    expect(tabs.map((t) => t.getSnapshot().latencyMs)).toEqual([12, 12, 12, 12]);
  });

  it('throttles each tab on its own when storage fails', () => {
    const broken: SlotStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => undefined,
    };
    const slot = sharedThrottle('k', 1_000, broken);
    expect([slot(0), slot(500), slot(1_000)]).toEqual([true, false, true]);
  });
});
