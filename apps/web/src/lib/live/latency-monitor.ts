import type { ConnectionStore } from './connection-store.ts';
import type { TransportSwitch } from './transport-switch.ts';

export interface LatencyMonitorOptions {
  store: ConnectionStore;
  transport: Pick<TransportSwitch, 'pingWs'>;
  /**
   * A small GET query, timed when there is no socket to ping (SSE, polling). The contract has
   * no no-op query yet, so `trpc.ts` uses `rankings.list`, which the api serves from memory.
   */
  probe: (signal: AbortSignal) => Promise<unknown>;
  everyMs?: number;
  timeoutMs?: number;
}

/**
 * Measures the round trip on the transport in use, every `everyMs` and as soon as a transport
 * goes live: over ws a PING/PONG frame on the open socket (no server work, so it is the network
 * and event loops only); otherwise a timed GET, skipped when the poller has just timed one.
 * The store keeps the figure and reports it, throttled. Returns a stop function.
 */
export function startLatencyMonitor(opts: LatencyMonitorOptions): () => void {
  const { store, transport, probe, everyMs = 10_000, timeoutMs = 5_000 } = opts;
  let inFlight = false;
  let stopped = false;
  let current: AbortController | null = null;

  const measure = async () => {
    const { transport: kind, status } = store.getSnapshot();
    if (inFlight || stopped || status === 'connecting' || status === 'reconnecting') return;
    inFlight = true;
    try {
      if (kind === 'ws') {
        const rtt = await transport.pingWs(timeoutMs);
        if (rtt !== null) store.recordLatency(rtt, 'ws');
        return;
      }
      const last = store.lastSampleAt();
      if (last !== null && Date.now() - last < everyMs / 2) return;
      // Not AbortSignal.any/timeout: Safari before 17.4 lacks the former.
      const ac = (current = new AbortController());
      const timer = setTimeout(() => ac.abort(), timeoutMs);
      const started = performance.now();
      try {
        await probe(ac.signal);
      } finally {
        clearTimeout(timer);
      }
      store.recordLatency(performance.now() - started, kind);
    } catch {
      // An unreachable server shows in the connection status; there is no latency to record.
    } finally {
      inFlight = false;
    }
  };

  const timer = setInterval(() => void measure(), everyMs);
  let soon: ReturnType<typeof setTimeout> | undefined;
  let seen = '';
  const unsubscribe = store.subscribe(() => {
    const { status, transport: kind } = store.getSnapshot();
    const key = `${status}/${kind}`;
    if (key === seen) return;
    seen = key;
    // Next task, not now: the ws client reports "open" to the switch before its connection
    // object says so, and a ping sent in between would be skipped until the next interval.
    if (status === 'live' || status === 'polling') soon = setTimeout(() => void measure(), 0);
  });
  void measure();

  return () => {
    stopped = true;
    clearInterval(timer);
    clearTimeout(soon);
    unsubscribe();
    current?.abort();
  };
}
