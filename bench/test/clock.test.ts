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
  /**
   * Date.now() is the floor of the time it is called at, so a time taken between two of its
   * calls lies in [before, after + 1): bracketing holds however long the process is preempted.
   */
  const expectBetweenDateNows = () => {
    const before = Date.now();
    const w = wallNow();
    const after = Date.now();
    expect(w).toBeGreaterThanOrEqual(before - 0.5);
    expect(w).toBeLessThanOrEqual(after + 1.5);
  };

  it('agrees with Date.now() to within its millisecond', () => {
    calibrateClock();
    for (let i = 0; i < 1_000; i++) expectBetweenDateNows();
  });

  it.each([8_000, -8_000, 3])('follows the system clock when it moves by %d ms', (jump) => {
    calibrateClock();
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + jump);
    expect(Math.abs(clockSkewMs() - jump)).toBeLessThan(2);
    expectBetweenDateNows();
    expect(Math.abs(clockSkewMs() + 0.5)).toBeLessThan(1);
  });
});
