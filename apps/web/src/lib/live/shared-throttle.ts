/** Decides whether a periodic job may run now; claims the slot when it says yes. */
export type Throttle = (now: number) => boolean;

/** What `sharedThrottle` needs of `localStorage` (tests pass a Map-backed one). */
export type SlotStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** A throttle for this tab alone: at most once per `everyMs`. */
export function localThrottle(everyMs: number): Throttle {
  let last = Number.NEGATIVE_INFINITY;
  return (now) => {
    if (now - last < everyMs) return false;
    last = now;
    return true;
  };
}

function localStorageOrNull(): SlotStorage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage disabled (a privacy setting): each tab for itself
  }
}

/**
 * At most once per `everyMs` across every tab of this browser: the time of the last run is kept
 * under `key` in localStorage, so four tabs report latency once a minute, not four times. Two
 * tabs deciding in the same millisecond may both run: harmless for a throttle of telemetry.
 * Without storage it throttles this tab alone.
 */
export function sharedThrottle(
  key: string,
  everyMs: number,
  storage: SlotStorage | null = localStorageOrNull(),
): Throttle {
  if (!storage) return localThrottle(everyMs);
  const local = localThrottle(everyMs);
  return (now) => {
    try {
      const last = Number(storage.getItem(key));
      // A time in the future (a clock set back) would block every tab: ignore it.
      if (Number.isFinite(last) && last <= now && now - last < everyMs) return false;
      storage.setItem(key, String(now));
      return true;
    } catch {
      return local(now);
    }
  };
}
