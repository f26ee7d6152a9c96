import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { findAdminByUsername, listAudit } from '@llmpt/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { verifyPassword } from '../src/admin/password.ts';
import { type TestApi, startTestApi } from './helpers.ts';
import { AdminBrowser } from './admin-client.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let api: TestApi;
/** Each case spawns the CLI (node + tsx): seconds each on a busy machine. */
const SPAWNS = 240_000;

beforeAll(async () => {
  api = await startTestApi({ TRUST_PROXY: '127.0.0.1' });
}, 120_000);
afterAll(() => api?.close());

/** `npm run admin:<action> -- …` as an operator runs it (the same command), stdin piped. */
function cli(args: string[], stdin: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'apps/api/src/cli/admin.ts', ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: api.deps.env.DATABASE_URL,
          REDIS_URL: api.deps.env.REDIS_URL,
          REDIS_PREFIX: api.deps.env.REDIS_PREFIX,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const account = (name: string) => findAdminByUsername(api.deps.db, name);
const auditOf = async (name: string) =>
  (await listAudit(api.deps.db, { targetId: name, limit: 50 })).entries.filter((e) =>
    e.actor.startsWith('cli:'),
  );

describe('npm run admin:create / admin:passwd / admin:disable', { timeout: SPAWNS }, () => {
  it('is what the root package.json runs', async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['admin:create']).toBe('node --import tsx apps/api/src/cli/admin.ts create');
    expect(pkg.scripts['admin:passwd']).toBe('node --import tsx apps/api/src/cli/admin.ts passwd');
    expect(pkg.scripts['admin:disable']).toBe(
      'node --import tsx apps/api/src/cli/admin.ts disable',
    );
  });

  it('creates an account from a password on stdin; the account signs in; audited without the hash', async () => {
    const r = await cli(['create', '--user', 'operator'], 'a long operator passphrase\n');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('created "operator"');
    const row = await account('operator');
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(row!.passwordHash, 'a long operator passphrase')).toBe(true);
    expect(
      (await new AdminBrowser(api.baseUrl).signIn('operator', 'a long operator passphrase')).status,
    ).toBe(200);
    const [entry] = await auditOf('operator');
    expect(entry).toMatchObject({ action: 'admin.create', targetType: 'admin', before: null });
    expect(entry!.actor).toMatch(/^cli:.+/);
    expect(JSON.stringify(entry)).not.toContain('argon2');
  });

  it('refuses a duplicate, a bad --user, bad flags and a short password: one line, exit 2, nothing changed', async () => {
    const before = await account('operator');
    const cases: [string[], string, RegExp][] = [
      [
        ['create', '--user', 'operator'],
        'another long passphrase\n',
        /^admin: admin "operator" already exists\n$/,
      ],
      [
        ['create', '--user', 'Bad Name!'],
        'another long passphrase\n',
        /^admin: --user must be 3–32 characters/,
      ],
      [['create'], 'another long passphrase\n', /^admin: --user NAME is required/],
      [
        ['create', '--user', 'newbie', '--admin'],
        'another long passphrase\n',
        /^admin: Unknown option '--admin'/,
      ],
      [['promote', '--user', 'newbie'], '', /^admin: unknown action "promote"/],
      [
        ['create', '--user', 'newbie'],
        'short\n',
        /^admin: the password must be at least 12 characters\n$/,
      ],
      [
        ['create', '--user', 'newbie'],
        '',
        /^admin: the password must be at least 12 characters\n$/,
      ],
      [
        ['passwd', '--user', 'nobody-here'],
        'another long passphrase\n',
        /^admin: no admin named "nobody-here"\n$/,
      ],
    ];
    for (const [args, stdin, message] of cases) {
      const r = await cli(args, stdin);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
    expect(await account('newbie')).toBeNull();
    expect(await account('operator')).toEqual(before);
  });

  it('passwd sets a new password and ends the sessions made with the old one', async () => {
    const browser = new AdminBrowser(api.baseUrl);
    expect((await browser.signIn('operator', 'a long operator passphrase')).status).toBe(200);
    const r = await cli(['passwd', '--user', 'operator'], 'the replacement passphrase\n');
    expect(r.code).toBe(0);
    expect((await browser.call('admin.auth.me', 'query')).status).toBe(401);
    expect((await browser.signIn('operator', 'a long operator passphrase')).status).toBe(401);
    expect((await browser.signIn('operator', 'the replacement passphrase')).status).toBe(200);
    const entry = (await auditOf('operator')).find((e) => e.action === 'admin.password');
    expect(entry?.before).toMatchObject({ username: 'operator', sessionEpoch: 0 });
    expect(entry?.after).toMatchObject({ username: 'operator', sessionEpoch: 1 });
  });

  it('disable refuses sign-in and deletes the live sessions from Redis', async () => {
    const browser = new AdminBrowser(api.baseUrl);
    expect((await browser.signIn('operator', 'the replacement passphrase')).status).toBe(200);
    const id = (await account('operator'))!.id;
    const index = `${api.deps.env.REDIS_PREFIX}admin:sessions:${id}`;
    expect(await api.deps.redis.scard(index)).toBeGreaterThan(0);
    const r = await cli(['disable', '--user', 'operator'], '');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/disabled "operator"; [1-9]\d* live session\(s\) deleted/);
    expect(await api.deps.redis.exists(index)).toBe(0);
    expect((await browser.call('admin.auth.me', 'query')).status).toBe(401);
    expect((await browser.signIn('operator', 'the replacement passphrase')).status).toBe(401);
    expect((await account('operator'))!.disabledAt).not.toBeNull();
    expect((await auditOf('operator')).some((e) => e.action === 'admin.disable')).toBe(true);
  });
});
