import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestApi, Visitor, startTestApi } from './helpers.ts';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

/** Samples `client_rtt_seconds` has recorded for `transport`. */
async function recorded(transport: string): Promise<number> {
  const metric = await api.deps.metrics.clientRtt.get();
  return (
    metric.values.find(
      (v) =>
        v.labels.transport === transport && 'metricName' in v && v.metricName?.endsWith('_count'),
    )?.value ?? 0
  );
}

describe('telemetry.latency', () => {
  it('records reports, and drops those over 30 a minute per IP with a 200, never a 429', async () => {
    const report = JSON.stringify({ rttMs: 42, transport: 'sse' });
    const statuses: number[] = [];
    const answers: unknown[] = [];
    // 40 tabs (or 40 browsers behind one address) reporting at once.
    for (let i = 0; i < 40; i++) {
      const res = await new Visitor(api.baseUrl).post('telemetry.latency', report);
      statuses.push(res.status);
      answers.push(((await res.json()) as { result: { data: unknown } }).result.data);
    }
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(answers.slice(0, 30)).toEqual(Array(30).fill({ recorded: true }));
    expect(answers.slice(30)).toEqual(Array(10).fill({ recorded: false }));
    expect(await recorded('sse')).toBe(30);
  });

  it('still refuses a malformed report (400)', async () => {
    const res = await new Visitor(api.baseUrl).post(
      'telemetry.latency',
      JSON.stringify({ rttMs: -1, transport: 'sse' }),
    );
    expect(res.status).toBe(400);
  });
});
