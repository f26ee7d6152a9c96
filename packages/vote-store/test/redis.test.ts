import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort, startRedisServer } from '@llmpt/devstack';
import { afterEach, describe, expect, it } from 'vitest';

import { createRedis } from '../src/index.ts';

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('createRedis', () => {
  it('reports an outage once through the logger, then its end: no unhandled error events', async () => {
    const port = await freePort();
    const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
    const log = {
      warn: (obj: object, msg: string) =>
        lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
      info: (obj: object, msg: string) =>
        lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    };
    // ioredis prints "[ioredis] Unhandled error event" with console.error when no one listens.
    const printed: string[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
    cleanups.push(() => void (console.error = consoleError));

    // Nothing listens on the port yet: ioredis retries (every 50–2000 ms) and emits 'error'.
    const redis = createRedis(`redis://127.0.0.1:${port}`, 'app', log);
    cleanups.push(() => redis.disconnect());
    await until(() => lines.length > 0, 'the first error line');
    await new Promise((r) => setTimeout(r, 1500));
    const errors = lines.filter((l) => l.msg === 'redis connection error');
    expect(errors).toHaveLength(1); // retries within 10 s are counted, not printed
    expect(errors[0]!.obj).toMatchObject({ role: 'app', err: { code: 'ECONNREFUSED' } });

    const dir = mkdtempSync(join(tmpdir(), 'llmpt-redis-'));
    const server = await startRedisServer({ dataDir: dir, port, appendOnly: false });
    cleanups.push(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    await until(() => lines.some((l) => l.msg === 'redis reconnected'), 'the reconnected line');
    const back = lines.find((l) => l.msg === 'redis reconnected')!;
    expect(back.level).toBe('info');
    expect(back.obj.suppressed).toBeGreaterThan(0);
    expect(await redis.ping()).toBe('PONG');
    expect(printed.filter((p) => p.includes('ioredis'))).toEqual([]);
  });
});
