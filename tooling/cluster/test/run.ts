import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

import { isPortFree } from '@llmpt/devstack';
import { repoRoot } from '@llmpt/stack';

import { type Ports, isAlive, namedPorts } from '../src/index.ts';

const BIN = fileURLToPath(new URL('../bin/llmpt-cluster.js', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the cluster CLI as a user does: through `npm run --silent cluster --` when `viaNpm`,
 * else its bin directly (quicker). `env` goes on top of ours; every cluster a test starts stops
 * with the test process, however that one ends (LLMPT_CLUSTER_STOP_WITH_PID).
 */
export function cli(args: string[], env: Record<string, string>, viaNpm = false): Promise<Run> {
  const [command, argv] = viaNpm
    ? ['npm', ['run', '--silent', 'cluster', '--', ...args]]
    : [process.execPath, [BIN, ...args]];
  const child = spawn(command, argv, {
    cwd: repoRoot,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      LLMPT_CLUSTER_STOP_WITH_PID: String(process.pid),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The pids among `pids` that still run. */
export const alive = (pids: Array<number | null>): number[] =>
  pids.filter((p): p is number => typeof p === 'number' && isAlive(p));

/** The cluster's ports that something still listens on, named. */
export async function takenPorts(ports: Ports): Promise<string[]> {
  const taken: string[] = [];
  for (const [port, what] of namedPorts(ports))
    if (!(await isPortFree(port))) taken.push(`${port} (${what})`);
  return taken;
}

/** Listens on 127.0.0.1:`port` until closed: a port taken by something else. */
export async function occupy(port: number): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}
