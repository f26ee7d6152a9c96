// nginx routes /admin/queues (the admins' BullMQ board) to the api, adds nothing and caches nothing.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { request } from './client.ts';
import { type Edge, startEdge } from './edge.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let edge: Edge;

/** `npm run admin:create -- --user NAME` against the stack's database, password on stdin. */
function createAdmin(user: string, password: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'apps/api/src/cli/admin.ts', 'create', '--user', user],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, DATABASE_URL: edge.stack.env.DATABASE_URL },
        stdio: ['pipe', 'ignore', 'inherit'],
      },
    );
    child.on('error', reject);
    child.on('close', resolve);
    child.stdin.end(`${password}\n`);
  });
}

beforeAll(async () => {
  edge = await startEdge();
  expect(await createAdmin('edge-admin', 'an edge admin passphrase')).toBe(0);
}, 180_000);
afterAll(async () => {
  await edge?.stop();
});

describe('/admin/queues through nginx', () => {
  it('reaches the api: 401 in plain text without a session, not the SPA shell, no-store', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await request(`${edge.url}${path}`, { headers: { accept: 'text/html' } });
      expect([path, res.status]).toEqual([path, 401]);
      expect(res.text).toBe('Sign in as an admin');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-cache-status']).toBeUndefined();
    }
  });

  it('serves the board to a signed-in admin with the board CSP alone, every time from the api', async () => {
    const signIn = await request(`${edge.url}/trpc/admin.auth.signIn`, {
      body: { username: 'edge-admin', password: 'an edge admin passphrase' },
      headers: { origin: edge.url },
    });
    expect(signIn.status).toBe(200);
    const cookie = (signIn.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('llmpt_admin='))!;
    expect(cookie).toBeTruthy();

    for (let i = 0; i < 2; i++) {
      const page = await request(`${edge.url}/admin/queues`, { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(page.text).toContain('<base href="/admin/queues/"');
      // One CSP (the api's for the board): nginx adds none of its own here.
      // Node joins a repeated header with ', ' (or keeps an array): one policy has no comma.
      const csp = String(page.headers['content-security-policy'] ?? '');
      expect(csp).toContain("style-src 'self' 'unsafe-inline'");
      expect(csp.split(',')).toHaveLength(1);
      expect(page.headers['cache-control']).toBe('no-store');
    }
    const list = await request(`${edge.url}/admin/queues/api/queues`, { headers: { cookie } });
    expect(list.status).toBe(200);
    expect(
      list
        .json<{ queues: { name: string }[] }>()
        .queues.map((q) => q.name)
        .sort(),
    ).toEqual(['background', 'maintenance', 'vote-flush']);

    // Signed out, the same URL is refused again: nothing was kept at the edge.
    await request(`${edge.url}/trpc/admin.auth.signOut`, {
      method: 'POST',
      headers: { origin: edge.url, cookie },
    });
    expect((await request(`${edge.url}/admin/queues`, { headers: { cookie } })).status).toBe(401);
  });
});
