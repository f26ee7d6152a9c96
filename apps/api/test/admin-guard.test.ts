import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { appRouter } from '../src/routers/index.ts';
import { type TestApi, startTestApi } from './helpers.ts';
import { AdminBrowser, makeAdmin } from './admin-client.ts';

/**
 * Every admin procedure, found in the router itself (not listed by hand): one added tomorrow
 * is covered by this test without anyone remembering to add it.
 */
const PUBLIC = new Set(['admin.auth.signIn', 'admin.auth.signOut']);
const adminProcedures = Object.entries(
  appRouter._def.procedures as unknown as Record<
    string,
    { _def: { type: 'query' | 'mutation' | 'subscription' } }
  >,
)
  .filter(([path]) => path.startsWith('admin.') && !PUBLIC.has(path))
  .map(([path, p]) => ({ path, type: p._def.type }));

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
  await makeAdmin(api, 'walker');
}, 120_000);
afterAll(() => api?.close());

describe('every admin procedure refuses a caller without an admin session', () => {
  it('finds the admin procedures in appRouter', () => {
    expect(adminProcedures.map((p) => p.path)).toEqual(
      expect.arrayContaining(['admin.auth.me', 'admin.auth.signOutEverywhere', 'admin.audit.list']),
    );
  });

  for (const { path, type } of adminProcedures) {
    it(`${path} (${type}): 401 over the lean route, a batch and WebSocket; with only a voter cookie too`, async () => {
      const anonymous = new AdminBrowser(api.baseUrl);
      const lean = await anonymous.call(path, type);
      expect([lean.status, lean.body.error?.data.code]).toEqual([401, 'UNAUTHORIZED']);
      // Batches carry queries and mutations (a subscription is SSE or ws).
      if (type !== 'subscription') {
        const batch = await anonymous.batch(path, type);
        expect([batch.status, batch.body.error?.data.code]).toEqual([401, 'UNAUTHORIZED']);
      }

      // A voter with a valid signed cookie, and a forged admin cookie beside it.
      const voter = new AdminBrowser(api.baseUrl);
      await voter.fetch(`${api.baseUrl}/trpc/vote.mine`);
      expect(voter.cookies.get('vid')).toBeTruthy();
      voter.cookies.set('llmpt_admin', 'A'.repeat(43));
      expect((await voter.call(path, type)).status).toBe(401);
      if (type !== 'subscription') expect((await voter.batch(path, type)).status).toBe(401);

      for (const who of [anonymous, voter]) {
        const ws = await who.socket();
        const frame = await ws.call(path, type);
        ws.close();
        expect(frame.result).toBeUndefined();
        expect(frame.error?.data.code).toBe('UNAUTHORIZED');
      }
    });
  }

  it('and the same calls succeed or fail on their own merits once signed in (the guard is what refused)', async () => {
    const admin = new AdminBrowser(api.baseUrl);
    expect((await admin.signIn('walker')).status).toBe(200);
    const me = await admin.call('admin.auth.me', 'query');
    expect(me.status).toBe(200);
    const ws = await admin.socket();
    expect((await ws.call('admin.auth.me', 'query')).result).toBeDefined();
    ws.close();
  });
});
