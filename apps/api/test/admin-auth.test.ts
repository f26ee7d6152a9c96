import { disableAdmin, listAudit, setAdminPassword } from '@llmpt/db';
import type { AdminMe } from '@llmpt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashPassword } from '../src/admin/password.ts';
import { ADMIN_COOKIE, AdminSessions } from '../src/admin/session.ts';
import { type TestApi, startTestApi } from './helpers.ts';
import { AdminBrowser, PASSWORD, makeAdmin } from './admin-client.ts';

let api: TestApi;
let addresses = 0;
/** Each test signs in from its own address, so per-address counters never leak between tests. */
const browser = (forwardedFor = `198.51.100.${++addresses}`) =>
  new AdminBrowser(api.baseUrl, forwardedFor);

beforeAll(async () => {
  api = await startTestApi({
    TRUST_PROXY: '127.0.0.1',
    ADMIN_LOCKOUT_ATTEMPTS: '3',
    ADMIN_LOCKOUT_BASE_SEC: '1',
    ADMIN_SESSION_IDLE_MINUTES: '30',
    ADMIN_SESSION_MAX_HOURS: '12',
    GRAFANA_URL: 'https://grafana.example.org/d/llmpt',
  });
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']) {
    await makeAdmin(api, name);
  }
}, 120_000);
afterAll(() => api?.close());

async function audits(action: string) {
  return (await listAudit(api.deps.db, { action, limit: 100 })).entries;
}

async function until(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('sign-in', () => {
  it('signs in with the right password: HttpOnly, SameSite=Strict cookie, AdminMe, audited', async () => {
    const b = browser();
    const r = await b.signIn('alice');
    expect(r.status).toBe(200);
    const me = r.body.result!.data as AdminMe;
    expect(me).toMatchObject({
      username: 'alice',
      idleTimeoutSec: 30 * 60,
      links: {
        grafana: 'https://grafana.example.org/d/llmpt',
        prometheus: null,
        queues: '/admin/queues',
      },
    });
    expect(me.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith(`${ADMIN_COOKIE}=`))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/i); // plain HTTP here; COOKIE_SECURE=auto
    // The token is not what Redis keys on: only its hash is stored.
    expect(await api.deps.redis.exists(api.deps.adminSessions.keyOf(b.token))).toBe(0);
    expect(
      await api.deps.redis.exists(api.deps.adminSessions.keyOf(AdminSessions.idOf(b.token))),
    ).toBe(1);

    const again = await b.call('admin.auth.me', 'query');
    expect(again.status).toBe(200);
    expect((again.body.result!.data as AdminMe).csrfToken).toBe(me.csrfToken);
    const [entry] = (await audits('admin.sign_in')).filter((e) => e.actor === 'alice');
    expect(entry).toMatchObject({ targetId: 'alice', ip: b.forwardedFor });
  });

  it('refuses a wrong password and an unknown user alike (401), audited, no cookie', async () => {
    const b = browser();
    const wrong = await b.signIn('bob', 'not the password at all');
    const unknown = await b.signIn('nobody-here', PASSWORD);
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect(r.body.error!.data.code).toBe('UNAUTHORIZED');
      expect(r.headers.getSetCookie().some((c) => c.startsWith(ADMIN_COOKIE))).toBe(false);
    }
    expect((await b.call('admin.auth.me', 'query')).status).toBe(401);
    const failed = await audits('admin.sign_in_failed');
    expect(failed.find((e) => e.actor === 'bob')).toMatchObject({
      after: { reason: 'wrong_password' },
      ip: b.forwardedFor,
    });
    expect(failed.find((e) => e.actor === 'nobody-here')).toMatchObject({
      after: { reason: 'unknown_user' },
    });
  });

  it('refuses sign-in without a same-origin Origin (login CSRF), and over WebSocket', async () => {
    const none = browser();
    none.origin = null;
    expect((await none.signIn('alice')).status).toBe(403);
    const cross = browser();
    cross.origin = 'https://evil.example';
    expect((await cross.signIn('alice')).status).toBe(403);
    expect(cross.token).toBe('');

    const ws = await browser().socket();
    const r = await ws.call('admin.auth.signIn', 'mutation', {
      username: 'alice',
      password: PASSWORD,
    });
    expect(r.error?.data.code).toBe('FORBIDDEN');
    ws.close();
  });

  it('rotates the session at sign-in: the old token is destroyed, a new one issued', async () => {
    const b = browser();
    await b.signIn('alice');
    const first = b.token;
    await b.signIn('alice');
    expect(b.token).not.toBe(first);
    const stale = browser();
    stale.cookies.set(ADMIN_COOKIE, first);
    expect((await stale.call('admin.auth.me', 'query')).status).toBe(401);
    expect((await b.call('admin.auth.me', 'query')).status).toBe(200);
  });
});

describe('lockout', () => {
  it('locks an account after ADMIN_LOCKOUT_ATTEMPTS failures, even for the right password, until it expires; the next lockout doubles', async () => {
    const b = browser();
    for (let i = 0; i < 3; i++)
      expect((await b.signIn('carol', 'wrong password!')).status).toBe(401);
    const locked = await b.signIn('carol');
    expect(locked.status).toBe(429);
    expect(locked.body.error!.data.retryAfterSec).toBe(1);
    expect(locked.headers.get('retry-after')).toBe('1');
    // Another address is refused too: the account is locked, not the address.
    expect((await browser().signIn('carol')).status).toBe(429);
    expect(
      (await audits('admin.lockout')).some(
        (e) => e.targetType === 'account' && e.targetId === 'carol',
      ),
    ).toBe(true);

    await until(async () => (await b.signIn('carol')).status === 200, 'the lockout to expire');

    // A success reset the run; three more failures lock again, for twice as long.
    for (let i = 0; i < 3; i++)
      expect((await b.signIn('carol', 'wrong password!')).status).toBe(401);
    const second = await b.signIn('carol');
    expect(second.status).toBe(429);
    expect(second.body.error!.data.retryAfterSec).toBe(2);
  });

  it('locks an address after 4× the attempts across accounts; other addresses still sign in', async () => {
    const attacker = browser();
    for (let i = 0; i < 12; i++) {
      expect((await attacker.signIn(`guess-${i}`, 'wrong password!')).status).toBe(401);
    }
    const r = await attacker.signIn('dave');
    expect(r.status).toBe(429);
    expect(r.body.error!.data.retryAfterSec).toBeGreaterThanOrEqual(1);
    expect((await browser().signIn('dave')).status).toBe(200);
    expect(
      (await audits('admin.lockout')).some(
        (e) => e.targetType === 'address' && e.targetId === attacker.forwardedFor,
      ),
    ).toBe(true);
  });

  it('counts a burst of parallel guesses: no more than the limit get a password check', async () => {
    const b = browser();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => b.signIn('erin', 'wrong password!')),
    );
    expect(answers.filter((a) => a.status === 401)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(7);
  });
});

describe('CSRF on admin mutations', () => {
  it('refuses a mutation without the token, with a wrong one, cross-site or without Origin (403); changes nothing', async () => {
    const b = browser();
    await b.signIn('frank');
    const epoch = async () =>
      (
        await api.deps.db
          .selectFrom('admin_users')
          .select('session_epoch')
          .where('username', '=', 'frank')
          .executeTakeFirstOrThrow()
      ).session_epoch;
    const before = await epoch();
    const token = b.csrf;

    b.csrf = '';
    expect((await b.call('admin.auth.signOutEverywhere', 'mutation')).status).toBe(403);
    expect((await b.batch('admin.auth.signOutEverywhere', 'mutation')).body.error!.data.code).toBe(
      'FORBIDDEN',
    );
    b.csrf = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect((await b.call('admin.auth.signOutEverywhere', 'mutation')).status).toBe(403);
    b.csrf = token;
    b.origin = 'https://evil.example';
    expect((await b.call('admin.auth.signOutEverywhere', 'mutation')).status).toBe(403);
    b.origin = null;
    expect((await b.call('admin.auth.signOutEverywhere', 'mutation')).status).toBe(403);
    b.origin = b.baseUrl;
    expect(await epoch()).toBe(before);
    expect((await b.call('admin.auth.me', 'query')).status).toBe(200);

    // Over WebSocket a mutation is refused even with a live session.
    const ws = await b.socket();
    expect((await ws.call('admin.auth.me', 'query')).result).toBeDefined();
    expect((await ws.call('admin.auth.signOutEverywhere', 'mutation')).error?.data.code).toBe(
      'FORBIDDEN',
    );
    ws.close();
    expect(await epoch()).toBe(before);

    // With token and Origin it goes through.
    expect((await b.call('admin.auth.signOutEverywhere', 'mutation')).status).toBe(200);
    expect(await epoch()).toBe(before + 1);
  });
});

describe('sessions end', () => {
  it('after the idle timeout (the key expires)', async () => {
    const b = browser();
    await b.signIn('grace');
    expect((await b.call('admin.auth.me', 'query')).status).toBe(200);
    const key = api.deps.adminSessions.keyOf(AdminSessions.idOf(b.token));
    const ttl = await api.deps.redis.pttl(key);
    expect(ttl).toBeGreaterThan(29 * 60_000); // slid to the idle timeout by the request
    await api.deps.redis.pexpire(key, 1);
    await until(async () => (await api.deps.redis.exists(key)) === 0, 'the key to expire');
    const r = await b.call('admin.auth.me', 'query');
    expect(r.status).toBe(401);
    expect(r.headers.getSetCookie().some((c) => c.startsWith(`${ADMIN_COOKIE}=;`))).toBe(true);
  });

  it('at the absolute end, however active', async () => {
    const b = browser();
    await b.signIn('grace');
    const key = api.deps.adminSessions.keyOf(AdminSessions.idOf(b.token));
    const stored = JSON.parse((await api.deps.redis.get(key))!) as { createdAt: number };
    stored.createdAt = Date.now() - 12 * 3_600_000 - 1000;
    await api.deps.redis.set(key, JSON.stringify(stored), 'KEEPTTL');
    expect((await b.call('admin.auth.me', 'query')).status).toBe(401);
    expect(await api.deps.redis.exists(key)).toBe(0);
  });

  it('everywhere: sign-out everywhere kills the other sessions', async () => {
    const laptop = browser();
    const phone = browser();
    await laptop.signIn('heidi');
    await phone.signIn('heidi');
    const ws = await phone.socket();
    expect((await ws.call('admin.auth.me', 'query')).result).toBeDefined();
    expect((await laptop.call('admin.auth.signOutEverywhere', 'mutation')).status).toBe(200);
    expect((await phone.call('admin.auth.me', 'query')).status).toBe(401);
    expect((await laptop.call('admin.auth.me', 'query')).status).toBe(401);
    expect((await ws.call('admin.auth.me', 'query')).error?.data.code).toBe('UNAUTHORIZED');
    ws.close();
    expect((await audits('admin.sign_out_everywhere')).some((e) => e.actor === 'heidi')).toBe(true);
  });

  it('when the account is disabled or its password changed', async () => {
    const disabled = await makeAdmin(api, 'ivan');
    const b = browser();
    await b.signIn('ivan');
    await disableAdmin(api.deps.db, disabled.id);
    expect((await b.call('admin.auth.me', 'query')).status).toBe(401);
    expect((await b.signIn('ivan')).status).toBe(401); // right password, disabled account

    const changed = await makeAdmin(api, 'judy');
    const c = browser();
    await c.signIn('judy');
    await setAdminPassword(api.deps.db, changed.id, await hashPassword('a brand new passphrase'));
    expect((await c.call('admin.auth.me', 'query')).status).toBe(401);
    expect((await c.signIn('judy', 'a brand new passphrase')).status).toBe(200);
  });

  it('sign-out ends this session and clears the cookie; without a session it is fine', async () => {
    const b = browser();
    await b.signIn('alice');
    const id = AdminSessions.idOf(b.token);
    const r = await b.call('admin.auth.signOut', 'mutation');
    expect(r.status).toBe(200);
    expect(b.token).toBe('');
    expect(await api.deps.redis.exists(api.deps.adminSessions.keyOf(id))).toBe(0);
    expect((await b.call('admin.auth.me', 'query')).status).toBe(401);
    expect((await browser().call('admin.auth.signOut', 'mutation')).status).toBe(200);
  });
});

describe('a voter cookie is never an admin session', () => {
  it('a voter with a valid cookie gets 401 from admin procedures, whatever the cookie is called', async () => {
    const voter = browser();
    await voter.fetch(`${api.baseUrl}/trpc/vote.mine`, { headers: voter.headers() });
    const vid = voter.cookies.get('vid');
    expect(vid).toBeTruthy();
    expect((await voter.call('admin.auth.me', 'query')).status).toBe(401);
    voter.cookies.set(ADMIN_COOKIE, vid!);
    expect((await voter.call('admin.auth.me', 'query')).status).toBe(401);
    expect((await voter.call('admin.audit.list', 'query')).status).toBe(401);
  });
});

describe('audit.list', () => {
  it('pages the log newest first with ISO dates, filtered by action and actor', async () => {
    const b = browser();
    await b.signIn('alice');
    const page = await b.call('admin.audit.list', 'query', {
      action: 'admin.sign_in',
      actor: 'alice',
      limit: 2,
    });
    expect(page.status).toBe(200);
    const data = page.body.result!.data as {
      entries: { id: number; at: string; actor: string }[];
      nextCursor: number | null;
    };
    expect(data.entries).toHaveLength(2);
    expect(data.entries[0]!.id).toBeGreaterThan(data.entries[1]!.id);
    expect(new Date(data.entries[0]!.at).toISOString()).toBe(data.entries[0]!.at);
    expect(data.nextCursor).toBe(data.entries[1]!.id);
    const next = await b.call('admin.audit.list', 'query', {
      action: 'admin.sign_in',
      actor: 'alice',
      limit: 2,
      before: data.nextCursor,
    });
    const ids = (next.body.result!.data as typeof data).entries.map((e) => e.id);
    expect(ids.every((id) => id < data.nextCursor!)).toBe(true);
    expect((await b.call('admin.audit.list', 'query', { limit: 1000 })).status).toBe(400);
  });
});
