// How admin.overview turns the processes' samples into points: the arithmetic alone, on samples
// written by hand (admin-overview.test.ts proves it end to end on real processes).
import type { OpsSample } from '@llmpt/vote-store';
import { describe, expect, it } from 'vitest';

import { overviewPoints } from '../src/admin/overview/overview-points.ts';

const STEP = 5000;
const FIRST = 100;
const LAST = 106;

type Rows = Record<string, Record<number, Partial<OpsSample>>>;

/** Buckets FIRST…LAST from `rows`: field → bucket → sample (taken mid-step). */
function buckets(rows: Rows): Array<Map<string, OpsSample>> {
  return Array.from({ length: LAST - FIRST + 1 }, (_, i) => {
    const b = FIRST + i;
    const fields = new Map<string, OpsSample>();
    for (const [field, byBucket] of Object.entries(rows)) {
      const s = byBucket[b];
      if (s) fields.set(field, { t: b * STEP + STEP / 2, c: s.c ?? {}, g: s.g ?? {} });
    }
    return fields;
  });
}

const perMinute = (n: number, steps = 1) => (n * 60_000) / (steps * STEP);

describe('overviewPoints', () => {
  it('counts a counter drop from zero, spreads a gap evenly, and sums processes', () => {
    const o = overviewPoints({
      stepMs: STEP,
      firstBucket: FIRST,
      fromBucket: 101,
      buckets: buckets({
        // 5 → 8, then a restart (2), silent in 104, then 6.
        'api:a': {
          100: { c: { 'v.changed': 5 } },
          101: { c: { 'v.changed': 8 } },
          102: { c: { 'v.changed': 2 } },
          103: { c: { 'v.changed': 2 } },
          105: { c: { 'v.changed': 6 } },
          106: { c: { 'v.changed': 6 } },
        },
        'api:b': {
          100: { c: { 'v.rate_limited': 1 }, g: { ws: 3 } },
          101: { c: { 'v.rate_limited': 2, 'v.unknown_model': 1 }, g: { ws: 4 } },
          102: { c: { 'v.rate_limited': 2, 'v.unknown_model': 1 }, g: { ws: 4 } },
        },
      }),
    });
    expect(o.points.map((p) => p.t)).toEqual([102, 103, 104, 105, 106, 107].map((b) => b * STEP));
    expect(o.points.map((p) => p.acknowledged)).toEqual([
      perMinute(3),
      perMinute(2),
      0,
      perMinute(4, 2),
      perMinute(4, 2),
      0,
    ]);
    expect(o.points.every((p) => p.votesAccepted === p.acknowledged)).toBe(true);
    expect(o.points.map((p) => p.votesRateLimited)).toEqual([perMinute(1), 0, 0, 0, 0, 0]);
    expect(o.points.map((p) => p.votesRejected)).toEqual([perMinute(1), 0, 0, 0, 0, 0]);
    // b's gauges in the steps it sampled; nothing once it stopped reporting.
    expect(o.points.map((p) => p.wsConnections)).toEqual([4, 4, 0, 0, 0, 0]);
    expect(o.points.flatMap((p) => [p.acknowledged, p.votesRateLimited]).some((v) => v < 0)).toBe(
      false,
    );
    expect(o.processes).toEqual({ api: 1, worker: 0 });
  });

  it('takes the leader’s tick, the largest lag and queue counts, and keeps a late worker', () => {
    const queues = (n: number) => ({
      'q.vote-flush.waiting': n,
      'q.vote-flush.delayed': 16,
      'q.vote-flush.failed': 1,
      'q.background.delayed': 2,
    });
    const o = overviewPoints({
      stepMs: STEP,
      firstBucket: FIRST,
      fromBucket: 105,
      buckets: buckets({
        // Leads; its newest sample (105) is one step late for 106.
        'worker:h:1': {
          104: { c: { flushed: 10 }, g: { leader: 1, tick: 0.5, lag: 0.2, ...queues(3) } },
          105: { c: { flushed: 40 }, g: { leader: 1, tick: 0.75, lag: 0.1, ...queues(1) } },
        },
        'worker:h:2': {
          104: { c: { flushed: 0 }, g: { leader: 0, tick: 0.25, lag: 1.5, ...queues(4) } },
          105: { c: { flushed: 0 }, g: { leader: 0, tick: 0.25, lag: 0.3, ...queues(2) } },
          106: { c: { flushed: 0 }, g: { leader: 0, tick: 0.25, lag: 0.4, ...queues(2) } },
        },
        // Silent since 104: gone by 106.
        'api:x': { 103: { g: { ws: 1 } }, 104: { g: { ws: 1 } } },
      }),
    });
    const [p105, p106] = o.points;
    expect(p105).toMatchObject({
      flushed: perMinute(30),
      rankerTickSec: 0.75,
      outboxLagSec: 0.3,
      queueDepth: { 'vote-flush': 2 + 16, background: 2 },
      queueFailed: { 'vote-flush': 1 },
      errorRate: null,
      cacheHitRatio: {},
    });
    expect(p106).toMatchObject({ flushed: 0, rankerTickSec: 0.75, outboxLagSec: 0.4 });
    expect(o.rankerLeader).toBe('h:1');
    expect(o.processes).toEqual({ api: 0, worker: 2 });
  });

  it('gives the 5xx share of requests and the hit share per cache, null without any', () => {
    const o = overviewPoints({
      stepMs: STEP,
      firstBucket: FIRST,
      fromBucket: 106,
      buckets: buckets({
        'api:a': {
          105: { c: { req: 10, req5xx: 1, 'look.l1/catalogue': 4, 'hit.l1/catalogue': 4 } },
          106: {
            c: {
              req: 30,
              req5xx: 6,
              'look.l1/catalogue': 4,
              'hit.l1/catalogue': 4,
              'look.l1/response': 8,
              'hit.l1/response': 6,
            },
          },
        },
      }),
    });
    expect(o.points).toHaveLength(1);
    expect(o.points[0]).toMatchObject({
      errorRate: 0.25,
      cacheHitRatio: { 'l1/catalogue': null, 'l1/response': 0.75 },
    });
  });
});
