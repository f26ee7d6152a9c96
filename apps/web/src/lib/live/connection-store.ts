import type { LatencyReport, LiveTransport } from './live-contract.ts';
import { type Throttle, localThrottle } from './shared-throttle.ts';

/**
 * `connecting`: never been live yet; `live`: a push transport (ws or SSE) is connected;
 * `reconnecting`: was live, lost it, trying again (possibly on the next transport down);
 * `polling`: neither push transport works, the board is re-read every few seconds.
 */
export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'polling';

export interface ConnectionState {
  status: ConnectionStatus;
  transport: LiveTransport;
  /** The last round trip measured on `transport`, in ms; null until one is. */
  latencyMs: number | null;
}

export interface ConnectionStoreOptions {
  /** Sends a measurement to the server (`telemetry.latency`); failures are ignored. */
  report?: (report: LatencyReport) => Promise<unknown>;
  /** At most one report per this many ms from this tab (the server also rate-limits). */
  reportEveryMs?: number;
  /**
   * Decides when a report may go: by default this tab's own `reportEveryMs` window; the app
   * passes a `sharedThrottle`, so all tabs of one browser together report once a window.
   */
  reportThrottle?: Throttle;
  now?: () => number;
}

/**
 * Connection state for the UI, in the shape `useSyncExternalStore` wants: `subscribe` and
 * `getSnapshot` are stable functions and the snapshot is a new object only when something
 * changed. The transport switch writes status and transport; the latency monitor and the
 * poller write latency.
 * @see https://react.dev/reference/react/useSyncExternalStore
 */
export interface ConnectionStore {
  // Function-valued properties, not methods: they are passed around unbound.
  subscribe: (listener: () => void) => () => void;
  getSnapshot: () => ConnectionState;
  setConnection: (status: ConnectionStatus, transport: LiveTransport) => void;
  /** Records a round trip measured on `transport`; ignored if that is no longer the transport. */
  recordLatency: (rttMs: number, transport: LiveTransport) => void;
  /** When the last latency sample was recorded (per `now`), or null. */
  lastSampleAt: () => number | null;
}

export function createConnectionStore(opts: ConnectionStoreOptions = {}): ConnectionStore {
  const { report, reportEveryMs = 30_000, now = Date.now } = opts;
  const mayReport = opts.reportThrottle ?? localThrottle(reportEveryMs);
  const listeners = new Set<() => void>();
  let state: ConnectionState = { status: 'connecting', transport: 'ws', latencyMs: null };
  let sampledAt: number | null = null;

  const set = (next: ConnectionState) => {
    if (
      next.status === state.status &&
      next.transport === state.transport &&
      next.latencyMs === state.latencyMs
    ) {
      return;
    }
    state = next;
    for (const listener of [...listeners]) listener();
  };

  return {
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => state,
    setConnection: (status, transport) => {
      // A figure measured on another transport would be shown under the wrong name.
      const latencyMs = transport === state.transport ? state.latencyMs : null;
      set({ status, transport, latencyMs });
    },
    recordLatency: (rttMs, transport) => {
      if (transport !== state.transport || !Number.isFinite(rttMs) || rttMs < 0) return;
      const rounded = Math.round(rttMs * 10) / 10;
      const at = now();
      sampledAt = at;
      set({ ...state, latencyMs: rounded });
      if (report && mayReport(at)) {
        // Telemetry must never disturb the page: a failure (offline) just skips a report.
        report({ rttMs: rounded, transport }).catch(() => undefined);
      }
    },
    lastSampleAt: () => sampledAt,
  };
}
