/** The peer servers of the fan-out comparison (bench/servers/*.ts), each in its own process. */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

import { stopChild } from './children.ts';
import { trackChild } from './rt-measure.ts';

export interface PeerServers {
  /** ws://127.0.0.1:PORT of each process. */
  urls: string[];
  pids: number[];
  stop(): Promise<void>;
}

/** Starts `count` processes of bench/servers/<script>, each given `config` as argv JSON. */
export async function startPeerServers(
  script: 'raw-ws-server.ts' | 'socket-io-server.ts',
  count: number,
  config: Record<string, string>,
): Promise<PeerServers> {
  const path = fileURLToPath(new URL(`../servers/${script}`, import.meta.url));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map((c) => stopChild(c, 5_000)));
  };
  try {
    const ports = await Promise.all(
      Array.from({ length: count }, async () => {
        const child = trackChild(
          fork(path, [JSON.stringify(config)], {
            execArgv: ['--import', 'tsx'],
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          }),
        );
        children.push(child);
        return new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 30_000);
          child.once('exit', (code) => reject(new Error(`${script} exited (${code})`)));
          child.on('message', (m: { type?: string; port?: number }) => {
            if (m.type !== 'ready') return;
            clearTimeout(timer);
            resolve(m.port ?? 0);
          });
        });
      }),
    );
    return {
      urls: ports.map((p) => `ws://127.0.0.1:${p}`),
      pids: children.map((c) => c.pid ?? -1),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A real diff frame as our subscribers received it, captured by the fanout scenario: the peers
 * broadcast these very bytes (bench/lib/rt-fanout.ts FALLBACK_FRAME when ours did not run).
 */
export const capturedFrame: { frame: string | null } = { frame: null };

const MARKER = '"type":"data","id":"';

/**
 * The frame with its tracked id replaced by a same-length marker of round `round`, so every
 * round's bytes have the same size and clients can tell rounds apart.
 */
export function markFrame(frame: string, round: number): { key: string; payload: string } {
  const at = frame.indexOf(MARKER);
  if (at < 0) throw new Error('not a tRPC data frame');
  const from = at + MARKER.length;
  const id = frame.slice(from, frame.indexOf('"', from));
  const key = String(round + 1).padStart(id.length, '0');
  return { key, payload: frame.split(`"${id}"`).join(`"${key}"`) };
}
