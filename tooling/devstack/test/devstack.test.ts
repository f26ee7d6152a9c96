import net from 'node:net';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { LocalService } from '../src/index.ts';
import {
  createDatabase,
  dropDatabase,
  FREE_PORT_RANGE,
  freePort,
  startEmbeddedPostgres,
  startRedisServer,
} from '../src/index.ts';

async function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-devstack-test-'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('freePort', () => {
  it('returns a port nobody listens on, outside the range outgoing connections are given', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThanOrEqual(FREE_PORT_RANGE.from);
    expect(port).toBeLessThanOrEqual(FREE_PORT_RANGE.to);
    expect(await isListening(port)).toBe(false);
    const [ephemeralLow] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'))
      .trim()
      .split(/\s+/)
      .map(Number);
    expect(FREE_PORT_RANGE.to).toBeLessThan(ephemeralLow!);
  });

  it('never hands out the same port twice in a row of picks, though none is bound yet', async () => {
    // 2,000 of 10,000 ports: picked at random without the reservation, a repeat is all but
    // certain (birthday bound: 1 - e^(-2000²/20000) ≈ 1).
    const picks = await Promise.all(Array.from({ length: 2_000 }, () => freePort()));
    expect(new Set(picks).size).toBe(picks.length);
  });
});

describe('startEmbeddedPostgres', () => {
  let server: LocalService;
  let dataDir: string;

  beforeAll(async () => {
    // A subfolder of a 0700 temp dir: as root this also exercises making parents reachable.
    dataDir = path.join(workDir, 'pg', 'data');
    const started = performance.now();
    server = await startEmbeddedPostgres({ dataDir, persistent: false });
    console.info(`initdb + start: ${Math.round(performance.now() - started)} ms`);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('serves the postgres database on 127.0.0.1, not the machine server', async () => {
    expect(server.url).toMatch(/^postgres:\/\/postgres:password@127\.0\.0\.1:\d+\/postgres$/);
    expect(portOf(server.url)).not.toBe(5432);
    const [row] = await query<{ db: string; encoding: string; max: string }>(
      server.url,
      `SELECT current_database() AS db, pg_encoding_to_char(encoding) AS encoding,
              current_setting('max_connections') AS max
         FROM pg_database WHERE datname = current_database()`,
    );
    expect(row).toEqual({ db: 'postgres', encoding: 'UTF8', max: '200' });
  });

  it('creates, uses and drops a database (even with a client still connected)', async () => {
    const url = await createDatabase(server.url, 'devstack_probe');
    expect(url).toBe(server.url.replace(/\/postgres$/, '/devstack_probe'));
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    await client.query('CREATE TABLE t (v text); INSERT INTO t VALUES ($$héllo$$)');
    expect((await client.query('SELECT upper(v) AS v FROM t')).rows).toEqual([{ v: 'HÉLLO' }]);

    await dropDatabase(server.url, 'devstack_probe');
    await client.end().catch(() => undefined);
    const left = await query(
      server.url,
      `SELECT 1 FROM pg_database WHERE datname = 'devstack_probe'`,
    );
    expect(left).toEqual([]);
  });

  it('connects through a URL whose database does not exist yet', async () => {
    const missing = server.url.replace(/\/postgres$/, '/not_there');
    const url = await createDatabase(missing, 'not_there');
    expect(url).toBe(missing);
    await dropDatabase(missing, 'not_there');
  });

  it('stops, closes the port and removes non-persistent data', async () => {
    const port = portOf(server.url);
    await server.stop();
    await server.stop();
    expect(await isListening(port)).toBe(false);
    await expect(stat(dataDir)).rejects.toThrow();
  });
});

describe('persistent embedded Postgres', () => {
  it('keeps data across restarts and reuses the cluster', async () => {
    const dataDir = path.join(workDir, 'pg-persistent');
    const first = await startEmbeddedPostgres({ dataDir });
    try {
      const url = await createDatabase(first.url, 'kept');
      await query(url, 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    } finally {
      await first.stop();
    }
    expect(await isListening(portOf(first.url))).toBe(false);

    const lines: string[] = [];
    const second = await startEmbeddedPostgres({ dataDir, onLog: (line) => lines.push(line) });
    try {
      const url = second.url.replace(/\/postgres$/, '/kept');
      expect(await query(url, 'SELECT v FROM kept')).toEqual([{ v: 42 }]);
      // No initdb the second time, only the server's own start-up messages.
      expect(lines.some((line) => line.includes('initdb'))).toBe(false);
      expect(lines.some((line) => line.includes('ready to accept connections'))).toBe(true);
    } finally {
      await second.stop();
    }
    expect(await isListening(portOf(second.url))).toBe(false);
  });

  it('fails with the server log when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await expect(
        startEmbeddedPostgres({ dataDir: path.join(workDir, 'pg-persistent'), port }),
      ).rejects.toThrow(/did not start on port \d+[\s\S]*could not bind/);
    } finally {
      blocker.close();
    }
  });
});

describe('startRedisServer', () => {
  it('runs a durable, non-evicting redis-server and stops it', async () => {
    const dataDir = path.join(workDir, 'redis');
    const server = await startRedisServer({ dataDir });
    const port = portOf(server.url);
    expect(server.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(port).not.toBe(6379);

    const client = new Redis(server.url);
    try {
      await client.set('devstack:probe', 'ok');
      expect(await client.get('devstack:probe')).toBe('ok');
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual([
        'maxmemory-policy',
        'noeviction',
      ]);
      expect(await client.config('GET', 'dir')).toEqual(['dir', dataDir]);
    } finally {
      client.disconnect();
    }

    await server.stop();
    await server.stop();
    expect(await isListening(port)).toBe(false);

    // The AOF brings the key back after a restart on the same directory.
    const again = await startRedisServer({ dataDir });
    const reader = new Redis(again.url);
    try {
      expect(await reader.get('devstack:probe')).toBe('ok');
    } finally {
      reader.disconnect();
      await again.stop();
    }
    expect(await isListening(portOf(again.url))).toBe(false);
  });

  it('runs a throwaway server without AOF or snapshots', async () => {
    const server = await startRedisServer({
      dataDir: path.join(workDir, 'redis-tmp'),
      appendOnly: false,
    });
    const client = new Redis(server.url);
    try {
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
      expect(await client.config('GET', 'save')).toEqual(['save', '']);
    } finally {
      client.disconnect();
      await server.stop();
    }
    expect(await isListening(portOf(server.url))).toBe(false);
  });

  it('refuses a port another Redis already serves', async () => {
    const other = await startRedisServer({
      dataDir: path.join(workDir, 'redis-other'),
      appendOnly: false,
    });
    try {
      await expect(
        startRedisServer({
          dataDir: path.join(workDir, 'redis-clash'),
          port: portOf(other.url),
          appendOnly: false,
        }),
      ).rejects.toThrow(/did not start on port/);
    } finally {
      await other.stop();
    }
  });
});
