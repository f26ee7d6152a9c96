import type { OverviewPoint } from '@llmpt/shared';
import { describe, expect, it } from 'vitest';

import { diffJson } from './json-diff.ts';
import { EMPTY_FORM, parseForm } from './llm-form-data.ts';
import { chartSpecs, latestSummary, mergePoints } from './overview-data.ts';

const point = (t: number, votesAccepted = 0): OverviewPoint => ({
  t,
  votesAccepted,
  votesRateLimited: 0,
  votesRejected: 0,
  acknowledged: 0,
  flushed: 0,
  outboxLagSec: null,
  wsConnections: 0,
  subscriptions: 0,
  rankerTickSec: null,
  cacheHitRatio: {},
  queueDepth: {},
  queueFailed: {},
  errorRate: null,
});

describe('mergePoints', () => {
  it('appends new points in time order, the newer answer replacing a point already held', () => {
    const held = [point(1000), point(2000, 1)];
    const merged = mergePoints(held, [point(3000, 5), point(2000, 2)]);
    expect(merged.map((p) => [p.t, p.votesAccepted])).toEqual([
      [1000, 0],
      [2000, 2],
      [3000, 5],
    ]);
  });

  it('keeps only the hour before the newest point', () => {
    const merged = mergePoints([point(0), point(1000)], [point(3_600_500)]);
    expect(merged.map((p) => p.t)).toEqual([1000, 3_600_500]);
  });
});

describe('chartSpecs / latestSummary', () => {
  it('charts one line per cache layer and queue, ratios as percentages, and says the peak', () => {
    const a = {
      ...point(1000, 300),
      cacheHitRatio: { 'l1/response': 0.5 },
      queueDepth: { flush: 2 },
      queueFailed: { flush: 1 },
    };
    const b = { ...point(2000, 0), cacheHitRatio: { 'l1/response': 0.9, 'l2/nginx': null } };
    const specs = chartSpecs([a, b]);
    const cache = specs.find((s) => s.id === 'cache');
    expect(cache?.lines).toEqual([
      { label: 'l1/response', values: [50, 90] },
      { label: 'l2/nginx', values: [null, null] },
    ]);
    expect(specs.find((s) => s.id === 'queues')?.lines).toEqual([
      { label: 'flush', values: [2, null] },
      { label: 'flush failed', values: [1, null] },
    ]);
    const votes = specs.find((s) => s.id === 'votes');
    expect(votes && latestSummary(votes)).toBe(
      'Now: Accepted 0/min, Rate limited 0/min, Rejected 0/min. ' +
        'Peak: Accepted 300/min, Rate limited 0/min, Rejected 0/min.',
    );
  });
});

describe('parseForm', () => {
  it('turns empty optional fields into null and numbers into numbers', () => {
    const parsed = parseForm({
      ...EMPTY_FORM,
      name: 'Acme',
      parametersB: '1.5',
      contextWindow: '128,000',
      categories: ['coding', 'chat'],
    });
    expect(parsed).toEqual({
      ok: true,
      fields: {
        name: 'Acme',
        vendor: '',
        family: '',
        releaseDate: null,
        openWeights: false,
        parametersB: 1.5,
        contextWindow: 128000,
        // In the catalogue's order, whatever the order of the clicks.
        categories: ['chat', 'coding'],
        homepage: null,
        status: 'active',
      },
    });
  });

  it('names a number field that holds something else instead of sending null', () => {
    expect(parseForm({ ...EMPTY_FORM, parametersB: 'seventy' })).toEqual({
      ok: false,
      errors: { parametersB: ['must be a number'] },
    });
  });
});

describe('diffJson', () => {
  it('lists every field, the changed ones marked, nested objects by path', () => {
    expect(
      diffJson(
        { name: 'A', categories: ['chat'], meta: { x: 1 } },
        { name: 'B', categories: ['chat'], meta: { x: 2 }, status: 'active' },
      ),
    ).toEqual([
      { path: 'name', before: '"A"', after: '"B"', changed: true },
      { path: 'categories', before: '["chat"]', after: '["chat"]', changed: false },
      { path: 'meta.x', before: '1', after: '2', changed: true },
      { path: 'status', before: null, after: '"active"', changed: true },
    ]);
  });

  it('shows a creation (no before) and a plain value', () => {
    expect(diffJson(null, { id: 'x' })).toEqual([
      { path: 'id', before: null, after: '"x"', changed: true },
    ]);
    expect(diffJson(1, 2)).toEqual([{ path: '', before: '1', after: '2', changed: true }]);
    expect(diffJson(null, null)).toEqual([]);
  });
});
