import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findOrInstallAll, isPortFree, portOrFree } from '../src/index.ts';

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-devstack-system-'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('killOnExit', () => {
  it('stops what a process registered when it is killed with SIGKILL, apps before servers', async () => {
    const log = path.join(workDir, 'stopped.log');
    const fixture = fileURLToPath(new URL('./fixtures/leave-children.ts', import.meta.url));
    const parent = spawn(process.execPath, ['--import', 'tsx', fixture, log], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(parent.stdout.setEncoding('utf8'), 'data')) as [string];
    const pids = JSON.parse(line) as number[];
    expect(pids.every(alive)).toBe(true);

    parent.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(alive)).toEqual([]);
    // Each got its own clean-stop signal, the app tier first.
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['app', 'server']);
  });
});

describe('portOrFree', () => {
  it('keeps the preferred port when it is free, and picks another when it is taken', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const taken = (server.address() as net.AddressInfo).port;
    try {
      expect(await isPortFree(taken)).toBe(false);
      const other = await portOrFree(taken);
      expect(other).not.toBe(taken);
      expect(await isPortFree(other)).toBe(true);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await portOrFree(taken)).toBe(taken);
  });
});

describe('findOrInstallAll', () => {
  it('finds programs on PATH or in the usual bin folders', async () => {
    const [sh] = await findOrInstallAll([{ names: ['sh'], aptPackage: 'dash' }]);
    expect(sh).toMatch(/\/sh$/);
  });

  it('names everything missing in one instruction when it may not install', async () => {
    const missing = findOrInstallAll([
      { names: ['sh'], aptPackage: 'dash' },
      { names: ['llmpt-no-such-a'], aptPackage: 'pkg-a', install: false },
      { names: ['llmpt-no-such-b'], aptPackage: 'pkg-b', envVar: 'LLMPT_B_PATH', install: false },
    ]);
    await expect(missing).rejects.toThrow(
      'llmpt-no-such-a, llmpt-no-such-b not found: install (e.g. `sudo apt-get install pkg-a pkg-b`), or set LLMPT_B_PATH to a llmpt-no-such-b binary',
    );
  });
});
