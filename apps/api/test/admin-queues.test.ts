import { QUEUE_BACKGROUND, QUEUE_NAMES } from '@llmpt/shared';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import { type TestApi, startTestApi } from './helpers.ts';
import { AdminBrowser, makeAdmin } from './admin-client.ts';

let api: TestApi;
let admin: AdminBrowser;
const board = (path = '') => `${api.baseUrl}/admin/queues${path}`;

beforeAll(async () => {
  api = await startTestApi({ BULL_PREFIX: `{bull-${process.pid}-${Date.now()}}` });
  await makeAdmin(api, 'queuekeeper');
  admin = new AdminBrowser(api.baseUrl);
  expect((await admin.signIn('queuekeeper')).status).toBe(200);
}, 120_000);
afterAll(() => api?.close());

/** The UI's static files, as its page names them. */
async function staticPaths(): Promise<string[]> {
  const html = await (await admin.fetch(board())).text();
  return [...html.matchAll(/(?:src|href)="(static\/[^"]+)"/g)].map((m) => m[1]!);
}

describe('/admin/queues without an admin session', () => {
  it('refuses the page, its JSON API and its static files with a plain 401, never cached', async () => {
    const [script] = await staticPaths();
    expect(script).toBeTruthy();
    const anonymous = new AdminBrowser(api.baseUrl);
    const voter = new AdminBrowser(api.baseUrl);
    await voter.fetch(`${api.baseUrl}/trpc/vote.mine`);
    for (const who of [anonymous, voter]) {
      for (const path of ['', '/', '/queue/background', '/api/queues', `/${script}`]) {
        const res = await who.fetch(board(path));
        expect([path, res.status]).toEqual([path, 401]);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(await res.text()).toBe('Sign in as an admin');
      }
      const retry = await who.fetch(board('/api/queues/background/1/retry'), {
        method: 'PUT',
        headers: { origin: api.baseUrl },
      });
      expect(retry.status).toBe(401);
    }
  });
});

describe('/admin/queues for an admin', () => {
  it('serves the board (its own CSP, no-store) and its API lists the worker queues', async () => {
    const page = await admin.fetch(board());
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("base-uri 'self'");
    expect(await page.text()).toContain('<base href="/admin/queues/"');
    const [script] = await staticPaths();
    expect((await admin.fetch(board(`/${script}`))).status).toBe(200);

    const api_ = await admin.fetch(board('/api/queues'));
    expect(api_.status).toBe(200);
    const body = (await api_.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual([...QUEUE_NAMES].sort());
  });

  it('retries a job that really failed, through the board API; a cross-site retry is refused', async () => {
    const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const prefix = api.deps.env.BULL_PREFIX;
    const queue = new Queue(QUEUE_BACKGROUND, { connection, prefix });
    const worker = new Worker(
      QUEUE_BACKGROUND,
      () => Promise.reject(new Error('the disk is full')),
      { connection, prefix },
    );
    try {
      const job = await queue.add('backup', { test: true }, { attempts: 1 });
      const failed = new Promise<void>((resolve) =>
        worker.on('failed', (j) => j?.id === job.id && resolve()),
      );
      await failed;
      await worker.close();
      expect(await job.getState()).toBe('failed');

      const listing = await admin.fetch(
        board(`/api/queues?activeQueue=${QUEUE_BACKGROUND}&status=failed&page=1`),
      );
      const queues = (
        (await listing.json()) as {
          queues: { name: string; jobs: { id: string; failedReason: string }[] }[];
        }
      ).queues;
      const shown = queues.find((q) => q.name === QUEUE_BACKGROUND)!.jobs;
      expect(shown.find((j) => j.id === job.id)?.failedReason).toBe('the disk is full');

      const retryUrl = board(`/api/queues/${QUEUE_BACKGROUND}/${job.id}/retry`);
      for (const origin of ['https://evil.example', undefined]) {
        const refused = await admin.fetch(retryUrl, {
          method: 'PUT',
          headers: origin ? { origin } : {},
        });
        expect(refused.status).toBe(403);
      }
      expect(await job.getState()).toBe('failed');

      const retried = await admin.fetch(retryUrl, {
        method: 'PUT',
        headers: { origin: api.baseUrl },
      });
      expect(retried.status).toBe(204);
      expect(await queue.getJobState(job.id!)).toBe('waiting');
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await connection.quit();
    }
  });
});
