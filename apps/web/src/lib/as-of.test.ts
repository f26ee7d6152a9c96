import { describe, expect, it } from 'vitest';

import { asOfHour, hourIso, toLocalInput } from './as-of.ts';

describe('as-of hours', () => {
  it('floors a local date-time to the start of its hour, written in UTC', () => {
    const local = '2026-12-01T15:42';
    const ms = new Date(local).getTime();
    expect(asOfHour(local)).toBe(hourIso(Math.floor(ms / 3_600_000) * 3_600_000));
    expect(asOfHour(local)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$/);
    expect(hourIso(Date.UTC(2026, 11, 1, 14))).toBe('2026-12-01T14:00:00Z');
  });

  it('refuses what is not a date-time', () => {
    expect(asOfHour('')).toBeNull();
    expect(asOfHour('tomorrow')).toBeNull();
    expect(asOfHour('2026-13-45T99:00')).toBeNull();
  });

  it('round-trips through the date-time field', () => {
    const iso = '2026-12-01T14:00:00Z';
    expect(asOfHour(toLocalInput(iso))).toBe(iso);
  });
});
