// Grafana's interval arithmetic and variable substitution, checked against values Grafana's own
// code gives (rangeutil.ts, pkg/promlib/models/query.go and its tests) and its documentation.
import { VariableType } from '@grafana/grafana-foundation-sdk/dashboard';
import { describe, expect, it } from 'vitest';

import {
  formatInterval,
  goDuration,
  interpolateBuiltins,
  intervalToMs,
  queryTiming,
  roundInterval,
} from '../src/grafana-interval.ts';
import { type PickedVariable, interpolateVariables, variablesUsed } from '../src/panel-queries.ts';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 2, 12, 0, 7);

describe('interval arithmetic', () => {
  it('rounds raw intervals to Grafana’s table', () => {
    expect(roundInterval(3_600)).toBe(5_000);
    expect(roundInterval(86_400)).toBe(60_000);
    expect(roundInterval(14_999)).toBe(15_000);
    expect(roundInterval(5)).toBe(1);
    expect(roundInterval(4_000_000_000)).toBe(31_536_000_000);
  });

  it('parses and formats intervals as Grafana and Go do', () => {
    expect(intervalToMs('15s')).toBe(15_000);
    expect(intervalToMs('2m')).toBe(120_000);
    expect(intervalToMs('500ms')).toBe(500);
    expect(intervalToMs('30')).toBe(30_000);
    expect(() => intervalToMs('fortnight')).toThrow(/not a Grafana interval/);
    expect(formatInterval(15_000)).toBe('15s');
    expect(formatInterval(90_000)).toBe('1m');
    expect(formatInterval(500)).toBe('500ms');
    expect(goDuration(60_000)).toBe('1m0s');
    expect(goDuration(75_000)).toBe('1m15s');
    expect(goDuration(HOUR)).toBe('1h0m0s');
    expect(goDuration(20_000)).toBe('20s');
    expect(goDuration(250)).toBe('250ms');
  });

  it('last hour, 1,000 px, 15 s scrape: interval 15 s, rate interval 4 × scrape', () => {
    const t = queryTiming({ fromMs: NOW - HOUR, toMs: NOW, maxDataPoints: 1_000 }, '15s');
    expect(t.intervalMs).toBe(15_000);
    expect(t.stepMs).toBe(15_000);
    expect(t.rateIntervalMs).toBe(60_000);
    // Start and end aligned down to the step.
    expect(t.startMs % 15_000).toBe(0);
    expect(t.endMs).toBeLessThanOrEqual(NOW);
    expect(NOW - t.endMs).toBeLessThan(15_000);
  });

  it('last 24 h, 1,000 px, 15 s scrape: interval 1 m, rate interval interval + scrape', () => {
    const t = queryTiming({ fromMs: NOW - 24 * HOUR, toMs: NOW, maxDataPoints: 1_000 }, '15s');
    expect(t.intervalMs).toBe(60_000);
    expect(t.stepMs).toBe(60_000);
    expect(t.rateIntervalMs).toBe(75_000);
  });

  it('a panel’s min interval raises $__interval, and the rate interval with it', () => {
    const t = queryTiming(
      { fromMs: NOW - HOUR, toMs: NOW, maxDataPoints: 1_000, panelMinInterval: '1m' },
      '15s',
    );
    expect(t.intervalMs).toBe(60_000);
    expect(t.rateIntervalMs).toBe(75_000);
  });

  it('no scrape interval configured: Grafana assumes 15 s for the rate interval', () => {
    const t = queryTiming({ fromMs: NOW - HOUR, toMs: NOW, maxDataPoints: 1_000 }, '');
    expect(t.intervalMs).toBe(5_000);
    expect(t.rateIntervalMs).toBe(60_000);
  });

  it('replaces the built-ins in both syntaxes', () => {
    const t = queryTiming({ fromMs: NOW - HOUR, toMs: NOW, maxDataPoints: 1_000 }, '15s');
    expect(
      interpolateBuiltins(
        'rate(a[$__rate_interval]) + rate(b[${__rate_interval}]) + c[$__interval] offset $__range + $__interval_ms + $__range_s',
        t,
      ),
    ).toBe('rate(a[1m0s]) + rate(b[1m0s]) + c[15s] offset 3600s + 15000 + 3600');
  });
});

describe('template variables', () => {
  const instance = (picked: string[], allValue?: string): PickedVariable => ({
    model: {
      type: VariableType.Query,
      name: 'instance',
      multi: true,
      includeAll: true,
      ...(allValue ? { allValue } : {}),
    },
    picked,
    options: ['127.0.0.1:7130', '127.0.0.1:7131'],
  });

  it('All with a custom all value: the value verbatim', () => {
    const vars = new Map([['instance', instance(['$__all'], '.*')]]);
    expect(interpolateVariables('up{instance=~"$instance"}', vars)).toBe('up{instance=~".*"}');
  });

  it('All without one: every option, regex-escaped inside a PromQL string', () => {
    const vars = new Map([['instance', instance(['$__all'])]]);
    expect(interpolateVariables('up{instance=~"${instance}"}', vars)).toBe(
      String.raw`up{instance=~"(127\\.0\\.0\\.1:7130|127\\.0\\.0\\.1:7131)"}`,
    );
  });

  it('one pick of a multi-value variable: escaped, no parentheses', () => {
    const vars = new Map([['instance', instance(['127.0.0.1:7130'])]]);
    expect(interpolateVariables('up{instance=~"[[instance]]"}', vars)).toBe(
      String.raw`up{instance=~"127\\.0\\.0\\.1:7130"}`,
    );
  });

  it('a single-valued variable: only quotes and backslashes escaped', () => {
    const vars = new Map<string, PickedVariable>([
      [
        'job',
        { model: { type: VariableType.Custom, name: 'job' }, picked: ['api.v1'], options: [] },
      ],
    ]);
    expect(interpolateVariables('up{job="$job"}', vars)).toBe('up{job="api.v1"}');
  });

  it('leaves built-ins to the backend and refuses an unknown variable', () => {
    expect(variablesUsed('rate(x{a="$a",b="${b}"}[$__rate_interval]) [[c]]')).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(interpolateVariables('rate(x[$__rate_interval])', new Map())).toBe(
      'rate(x[$__rate_interval])',
    );
    expect(() => interpolateVariables('up{i="$nope"}', new Map())).toThrow(
      'variable $nope is not defined',
    );
  });
});
