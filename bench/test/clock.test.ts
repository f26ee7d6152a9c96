/**
 * The real-time scenarios compare an arrival time taken in one process (wallNow) with a publish
 * time taken in another (Date.now()). When the system clock moves under a running process (a VM
 * paused and resumed), wallNow must follow it, or every latency is off by the jump.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

import { calibrateClock, clockSkewMs, wallNow } from '../lib/rt-measure.ts';

afterEach(() => {
  vi.restoreAllMocks();
  calibrateClock();
});

describe('wallNow', () => {
  it('agrees with Date.now() to within its millisecond', () => {
    calibrateClock();
    for (let i = 0; i < 1_000; i++) {
      const w = wallNow();
      const d = Date.now();
      expect(d - w).toBeGreaterThanOrEqual(-1.5);
      expect(d - w).toBeLessThanOrEqual(0.5);
    }
  });

  it.each([8_000, -8_000, 3])('follows the system clock when it moves by %d ms', (jump) => {
    calibrateClock();
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + jump);
    expect(Math.abs(clockSkewMs() - jump)).toBeLessThan(2);
    const w = wallNow();
    expect(Date.now() - w).toBeGreaterThanOrEqual(-1.5);
    expect(Date.now() - w).toBeLessThanOrEqual(0.5);
    expect(Math.abs(clockSkewMs() + 0.5)).toBeLessThan(1);
  });
});
