import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ENV_KEYS, loadEnv } from '../src/env.ts';

const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
const listed = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));

describe('apps/worker environment', () => {
  it('lists every variable it reads in .env.example', () => {
    expect(ENV_KEYS.filter((k) => !listed.has(k))).toEqual([]);
  });

  it('runs as production unless told otherwise', () => {
    const env = loadEnv({
      DATABASE_URL: 'postgres://x@127.0.0.1/x',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(env.NODE_ENV).toBe('production');
  });

  it('turns backups on in production only, and refuses bad maintenance settings by name', () => {
    const base = { DATABASE_URL: 'postgres://x@127.0.0.1/x', REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(loadEnv(base).BACKUP_ENABLED).toBe(true);
    expect(loadEnv({ ...base, NODE_ENV: 'development' }).BACKUP_ENABLED).toBe(false);
    expect(loadEnv({ ...base, BACKUP_ENABLED: 'false' }).BACKUP_ENABLED).toBe(false);
    expect(loadEnv({ ...base, BACKUP_DIR: 'x/backups' }).BACKUP_DIR).toMatch(/^\/.*\/x\/backups$/);
    for (const [name, value] of [
      ['BACKUP_CRON', 'every day'],
      ['BACKUP_CRON', '* * *'],
      ['BACKUP_KEEP', '0'],
      ['BACKUP_ENABLED', 'yes'],
      ['PARTITION_RETENTION_MONTHS', '-1'],
      ['PARTITION_ARCHIVE', 's3'],
      ['OUTBOX_CONSUMER_IDLE_MS', '1000'],
      ['RECONCILE_EVERY_MS', 'hourly'],
    ] as const) {
      expect(() => loadEnv({ ...base, [name]: value }), `${name}=${value}`).toThrow(name);
    }
  });
});
