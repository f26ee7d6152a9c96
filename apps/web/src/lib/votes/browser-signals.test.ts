import { describe, expect, it } from 'vitest';

import {
  BrowserSignals,
  type FingerprintAgentLoader,
  clientSignals,
  isVisitorId,
} from './browser-signals.ts';

const ID = '0123456789abcdef0123456789abcdef';

/** A stand-in for the FingerprintJS module that answers `visitorId` (or fails to load). */
const agent =
  (visitorId: string | Error, seen: Array<{ monitoring: boolean }> = []) =>
  (): Promise<FingerprintAgentLoader> =>
    visitorId instanceof Error
      ? Promise.reject(visitorId)
      : Promise.resolve({
          load: (options) => {
            seen.push(options);
            return Promise.resolve({ get: () => Promise.resolve({ visitorId }) });
          },
        });

describe('isVisitorId / clientSignals', () => {
  it('accepts 32 lowercase hex only', () => {
    expect(isVisitorId(ID)).toBe(true);
    expect(isVisitorId(ID.toUpperCase())).toBe(false);
    expect(isVisitorId(ID.slice(1))).toBe(false);
    expect(isVisitorId(`${ID}0`)).toBe(false);
    expect(isVisitorId(null)).toBe(false);
  });

  it('sends the fingerprint only when valid, the automation signal always', () => {
    expect(clientSignals(ID, false)).toEqual({ fp: ID, webdriver: false });
    expect(clientSignals('not-an-id', true)).toEqual({ webdriver: true });
    expect(clientSignals(null, false)).toEqual({ webdriver: false });
  });
});

describe('BrowserSignals', () => {
  it('has no fingerprint until it is loaded, then sends it; monitoring off', async () => {
    const seen: Array<{ monitoring: boolean }> = [];
    const signals = new BrowserSignals(agent(ID, seen), () => false);
    expect(signals.read()).toEqual({ webdriver: false });
    await signals.start();
    expect(signals.read()).toEqual({ fp: ID, webdriver: false });
    expect(seen).toEqual([{ monitoring: false }]);
  });

  it('votes go without it when the library fails to load or answers garbage', async () => {
    const blocked = new BrowserSignals(agent(new Error('blocked by an extension')), () => true);
    await expect(blocked.start()).resolves.toBeUndefined();
    expect(blocked.read()).toEqual({ webdriver: true });
    const odd = new BrowserSignals(agent('XYZ'), () => false);
    await odd.start();
    expect(odd.read()).toEqual({ webdriver: false });
  });
});
