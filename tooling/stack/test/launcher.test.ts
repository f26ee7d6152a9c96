// `npm start` as a user runs it, stopped by a signal to the npm process alone at several moments
// of its start-up, or by killing the launcher outright: nothing of its process tree may remain,
// and no port it used may stay taken.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { freePort } from '@llmpt/devstack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { USUAL_METRICS_PORT } from '../src/index.ts';
import { type Launch, launch, portsIn, survivors, takenPorts } from './launcher.ts';

let dataDir: string;
let webDist: string;

beforeAll(async () => {
  // One data directory for every run: the first initialises it (initdb), the others reuse it,
  // as a developer's .data/ is.
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-launcher-data-'));
  webDist = await mkdtemp(path.join(os.tmpdir(), 'llmpt-launcher-web-'));
  await writeFile(
    path.join(webDist, 'index.html'),
    '<!doctype html><title>LLM Popularity Tracker</title>',
  );
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await rm(webDist, { recursive: true, force: true });
});

async function start(): Promise<{ run: Launch; port: number }> {
  const port = await freePort();
  const run = launch({
    DATA_DIR: dataDir,
    WEB_DIST: webDist,
    HOST: '127.0.0.1',
    PORT: String(port),
  });
  return { run, port };
}

/** The launcher exits, nothing it started runs any more, and its ports are free. */
async function expectAllGone(run: Launch, port: number): Promise<void> {
  await Promise.race([
    run.exited,
    sleep(60_000).then(() => {
      throw new Error(`npm start still runs 60 s after the signal:\n${run.output()}`);
    }),
  ]);
  expect(await survivors(run.tree), run.output()).toEqual([]);
  expect(await takenPorts([port, ...portsIn(run.output())])).toEqual([]);
}

describe('npm start stops everything when the npm process alone gets a signal', () => {
  const moments: [NodeJS.Signals, string, RegExp | 'spawned'][] = [
    // First: on a fresh data directory, so initdb runs and the migrations have work to do.
    ['SIGINT', 'during the migrations', /migrating and seeding/],
    ['SIGTERM', 'right after the launcher was spawned', 'spawned'],
    ['SIGINT', 'while Postgres and Redis start', /starting embedded Postgres/],
    [
      'SIGTERM',
      'while the worker restores Redis and the api starts',
      /starting the worker and the api/,
    ],
    ['SIGINT', 'once everything is up', /Ctrl-C to stop/],
  ];
  it.each(moments)('%s %s', async (signal, _moment, when) => {
    const { run, port } = await start();
    if (when === 'spawned') {
      // The launcher's node process exists, still loading its code.
      while (run.find(/scripts\/start\.ts/).length === 0) await sleep(10);
    } else {
      await run.line(when);
    }
    run.npm.kill(signal);
    await expectAllGone(run, port);
  });
});

describe('npm start, killed or crowded', () => {
  it('leaves nothing behind when the launcher itself is killed with SIGKILL', async () => {
    const { run, port } = await start();
    await run.line(/Ctrl-C to stop/);
    const [launcher] = run.find(/scripts\/start\.ts/);
    expect(launcher).toBeDefined();
    process.kill(launcher!, 'SIGKILL');
    await expectAllGone(run, port);
  });

  it('stops when npm is killed with SIGKILL (no signal passed on) while the launcher loads', async () => {
    const { run, port } = await start();
    while (run.find(/scripts\/start\.ts/).length === 0) await sleep(10);
    run.npm.kill('SIGKILL');
    await expectAllGone(run, port);
  });

  it('stops when npm is killed with SIGKILL once everything is up', async () => {
    const { run, port } = await start();
    await run.line(/Ctrl-C to stop/);
    run.npm.kill('SIGKILL');
    await expectAllGone(run, port);
  });

  it('stops everything even after its output has nowhere to go (terminal gone), npm killed', async () => {
    const { run, port } = await start();
    await run.line(/Ctrl-C to stop/);
    // Every later write of the launcher, the apps and the watchdog now fails (EPIPE).
    run.npm.stdout?.destroy();
    run.npm.stderr?.destroy();
    run.npm.kill('SIGKILL');
    await expectAllGone(run, port);
  });

  it('stops at once with one message when its own port is taken, starting nothing', async () => {
    const holder = await hold(await freePort());
    const port = (holder!.address() as net.AddressInfo).port;
    try {
      const run = launch({
        DATA_DIR: dataDir,
        WEB_DIST: webDist,
        HOST: '127.0.0.1',
        PORT: String(port),
      });
      await run.exited;
      expect(run.npm.exitCode).not.toBe(0);
      expect(run.output()).toContain(
        `port ${port} is taken (another \`npm start\`?): stop it or set PORT`,
      );
      expect(run.output()).not.toContain('starting embedded Postgres');
      expect(await survivors(run.tree)).toEqual([]);
    } finally {
      await new Promise((r) => holder!.close(r));
    }
  });

  it('starts with the usual metrics ports taken, prints every address, and takes a vote', async () => {
    // Hold the usual ports (another program may already: then they are taken all the same).
    const held = await Promise.all(Object.values(USUAL_METRICS_PORT).map(hold));
    try {
      const { run, port } = await start();
      await run.line(/Ctrl-C to stop/);
      const out = run.output();
      const address = (label: string) => new RegExp(`^\\s*${label}\\s+(\\S+)`, 'm').exec(out)?.[1];
      expect(address('web')).toBe(`http://127.0.0.1:${port}`);
      expect(address('Postgres')).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/llmpt$/);
      expect(out).not.toContain('password');
      expect(address('Redis')).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      const apiMetrics = address('api metrics')!;
      const workerMetrics = address('worker metrics')!;
      expect(apiMetrics).not.toContain(`:${USUAL_METRICS_PORT.api}/`);
      expect(workerMetrics).not.toContain(`:${USUAL_METRICS_PORT.worker}/`);
      expect(out).toContain(`(${USUAL_METRICS_PORT.worker} is taken)`);
      expect((await fetch(apiMetrics)).status).toBe(200);
      expect((await fetch(workerMetrics.replace(/metrics$/, 'healthz'))).status).toBe(200);

      const web = `http://127.0.0.1:${port}`;
      const list = (await (await fetch(`${web}/trpc/llm.list`)).json()) as {
        result: { data: { id: string }[] };
      };
      const vote = await fetch(`${web}/trpc/vote.cast`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ llmId: list.result.data[0]!.id, value: 1 }),
      });
      expect(vote.status).toBe(200);

      run.npm.kill('SIGTERM');
      await expectAllGone(run, port);
    } finally {
      for (const server of held) if (server) await new Promise((r) => server.close(r));
    }
  });
});

/** Listens on 127.0.0.1:port if it can; null when something else already does. */
async function hold(port: number): Promise<net.Server | null> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
