/**
 * WebSocket subscribers held by CHILD processes (bench/clients/ws-subscribers.ts), never by the
 * server under test or the runner: each process holds at most ~15,000 sockets (the open-file
 * limit is ~20,000 per process here) from its own source address when given (one source address
 * has ~28,000 ephemeral ports).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

import type {
  FromSubscribers,
  SubscriberConfig,
  ToSubscribers,
} from '../clients/ws-subscribers.ts';
import { trackChild } from './rt-measure.ts';

const CLIENT_SCRIPT = fileURLToPath(new URL('../clients/ws-subscribers.ts', import.meta.url));
/** Sockets per client process: under the ~20,000 open files a process may hold here. */
export const MAX_SOCKETS_PER_PROCESS = 15_000;

export interface ClientPoolOptions {
  mode: SubscriberConfig['mode'];
  urls: string[];
  total: number;
  /** Client processes (default: as few as MAX_SOCKETS_PER_PROCESS allows). */
  processes?: number;
  /** Source address per process (cycled), e.g. 127.0.0.2..127.0.0.5. */
  localAddresses?: string[];
  /** Subscribers (in all) whose individual arrival times are kept; default all. */
  sample?: number;
  connectTimeoutMs?: number;
  /** mode trpc: the subscription each socket holds (default `rankings.live`, input {}). */
  subscribe?: SubscriberConfig['subscribe'];
  log?: (message: string) => void;
}

/** Arrivals of one frame: how many subscribers got it, and the sampled arrival times. */
export interface Arrivals {
  count: number;
  /** Arrival time ({@link wallNow}) per sampled subscriber; NaN: never arrived. */
  times: number[];
}

/** What the subscribers received, summed over the client processes ({@link ClientPool.traffic}). */
export interface Traffic {
  bytes: number;
  messages: number;
  /** Messages larger than a keep-alive (4 bytes). */
  dataMessages: number;
  live: number;
  /** Socket-seconds of live subscribers (∫ live dt): Δbytes / ΔliveSeconds is per subscriber-second. */
  liveSeconds: number;
}

interface Proc {
  child: ChildProcess;
  subscribed: number;
  waiters: Array<(m: FromSubscribers) => boolean>;
  completed: Set<string>;
}

export class ClientPool {
  subscribed = 0;
  failed = 0;
  errors: string[] = [];
  maxSkewMs = 0;
  private readonly completeWaiters = new Map<string, () => void>();

  private constructor(private readonly procs: Proc[]) {}

  get pids(): number[] {
    return this.procs.map((p) => p.child.pid ?? -1);
  }

  /** Starts the client processes; resolves once every socket subscribed or failed. */
  static async start(opts: ClientPoolOptions): Promise<ClientPool> {
    const n = Math.max(opts.processes ?? 1, Math.ceil(opts.total / MAX_SOCKETS_PER_PROCESS));
    const sample = Math.min(opts.sample ?? opts.total, opts.total);
    const procs: Proc[] = [];
    const pool = new ClientPool(procs);
    let offset = 0;
    try {
      for (let i = 0; i < n; i++) {
        const count = Math.floor(opts.total / n) + (i < opts.total % n ? 1 : 0);
        const cfg: SubscriberConfig = {
          mode: opts.mode,
          urls: opts.urls,
          count,
          offset,
          sample: Math.min(count, Math.ceil((sample * count) / opts.total)),
          concurrency: 128,
          connectTimeoutMs: opts.connectTimeoutMs ?? 60_000,
          ...(opts.subscribe ? { subscribe: opts.subscribe } : {}),
          ...(opts.localAddresses?.length
            ? { localAddress: opts.localAddresses[i % opts.localAddresses.length] }
            : {}),
        };
        offset += count;
        const child = trackChild(
          fork(CLIENT_SCRIPT, [JSON.stringify(cfg)], {
            execArgv: ['--import', 'tsx'],
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          }),
        );
        const proc: Proc = {
          child,
          subscribed: 0,
          waiters: [],
          completed: new Set(),
        };
        child.on('message', (m: FromSubscribers) => pool.onMessage(proc, m));
        procs.push(proc);
      }
      const started = Date.now();
      const readies = await Promise.all(
        procs.map((p) =>
          pool.next(p, (m) => m.type === 'ready', (opts.connectTimeoutMs ?? 60_000) * 3),
        ),
      );
      for (const [i, m] of readies.entries()) {
        if (m.type !== 'ready') continue;
        procs[i]!.subscribed = m.subscribed;
        pool.subscribed += m.subscribed;
        pool.failed += m.failed;
        pool.errors.push(...m.errors);
        pool.maxSkewMs = Math.max(pool.maxSkewMs, Math.abs(m.skewMs + 0.5));
      }
      opts.log?.(
        `${opts.mode}: ${pool.subscribed}/${opts.total} subscribed in ${((Date.now() - started) / 1000).toFixed(1)} s` +
          ` by ${n} client process(es)${pool.failed ? `, ${pool.failed} failed (${pool.errors[0]})` : ''}`,
      );
      return pool;
    } catch (err) {
      await pool.stop();
      throw err;
    }
  }

  /** Resolves true once every client process saw `key` on all its live subscribers; false on timeout. */
  async waitFor(key: string, timeoutMs: number): Promise<boolean> {
    const done = () => this.procs.every((p) => p.subscribed === 0 || p.completed.has(key));
    if (done()) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.completeWaiters.delete(key);
        resolve(false);
      }, timeoutMs);
      this.completeWaiters.set(key, () => {
        if (!done()) return;
        clearTimeout(timer);
        this.completeWaiters.delete(key);
        resolve(true);
      });
    });
  }

  /** Arrivals per key (null: every key seen), merged over the client processes. */
  async collect(keys: string[] | null): Promise<Map<string, Arrivals>> {
    const replies = await Promise.all(
      this.procs.map(async (p) => {
        const reply = this.next(p, (m) => m.type === 'collected', 60_000);
        p.child.send({ cmd: 'collect', keys } satisfies ToSubscribers);
        return reply;
      }),
    );
    const perProc = replies.map((r) =>
      r.type === 'collected' ? r : { sampled: 0, data: {} as Record<string, undefined> },
    );
    const all = new Set(keys ?? perProc.flatMap((r) => Object.keys(r.data)));
    const out = new Map<string, Arrivals>();
    for (const key of all) {
      const a: Arrivals = { count: 0, times: [] };
      for (const { sampled, data } of perProc) {
        const v = data[key];
        a.count += v?.count ?? 0;
        // A process that never saw the key: its sampled subscribers all missed it.
        if (v) for (const t of v.times) a.times.push(t ?? NaN);
        else for (let j = 0; j < sampled; j++) a.times.push(NaN);
      }
      out.set(key, a);
    }
    return out;
  }

  /**
   * Wire bytes and messages received so far by the subscribed sockets (counted at the clients,
   * from each socket's subscription on), and how many sockets are live, over every process.
   * Two readings bracket a window.
   */
  async traffic(): Promise<Traffic> {
    const replies = await Promise.all(
      this.procs.map(async (p) => {
        const reply = this.next(p, (m) => m.type === 'traffic', 60_000);
        p.child.send({ cmd: 'traffic' } satisfies ToSubscribers);
        return reply;
      }),
    );
    const out: Traffic = { bytes: 0, messages: 0, dataMessages: 0, live: 0, liveSeconds: 0 };
    for (const r of replies) {
      if (r.type !== 'traffic') continue;
      out.bytes += r.bytes;
      out.messages += r.messages;
      out.dataMessages += r.dataMessages;
      out.live += r.live;
      out.liveSeconds += r.liveSeconds;
    }
    return out;
  }

  /** The frame as one client received it (first client process that has it). */
  async frame(key: string): Promise<string | null> {
    for (const p of this.procs) {
      const reply = this.next(p, (m) => m.type === 'frame' && m.key === key, 10_000);
      p.child.send({ cmd: 'frame', key } satisfies ToSubscribers);
      const m = await reply;
      if (m.type === 'frame' && m.frame) return m.frame;
    }
    return null;
  }

  /** Subscribers that disconnected after subscribing (server drops, errors). */
  async stop(): Promise<{ closedEarly: number }> {
    let closedEarly = 0;
    await Promise.all(
      this.procs.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        const onClosed = (m: FromSubscribers) => {
          if (m.type === 'closed') closedEarly += m.closedEarly;
        };
        child.on('message', onClosed);
        try {
          child.send({ cmd: 'close' } satisfies ToSubscribers);
        } catch {
          child.kill('SIGKILL');
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    return { closedEarly };
  }

  private onMessage(proc: Proc, m: FromSubscribers): void {
    if (m.type === 'complete') {
      proc.completed.add(m.key);
      this.completeWaiters.get(m.key)?.();
      return;
    }
    proc.waiters = proc.waiters.filter((w) => !w(m));
  }

  private next(
    proc: Proc,
    match: (m: FromSubscribers) => boolean,
    timeoutMs: number,
  ): Promise<FromSubscribers> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`client process exited (${code}) before answering`));
      };
      const timer = setTimeout(() => {
        proc.child.off('exit', onExit);
        reject(new Error('client process did not answer in time'));
      }, timeoutMs);
      proc.child.once('exit', onExit);
      proc.waiters.push((m) => {
        if (!match(m)) return false;
        clearTimeout(timer);
        proc.child.off('exit', onExit);
        resolve(m);
        return true;
      });
    });
  }
}
