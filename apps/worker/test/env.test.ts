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

  it('schedules the public dump at 00:15 UTC by default and refuses a bad PUBLIC_DUMP_CRON clearly', () => {
    const base = { DATABASE_URL: 'postgres://x@127.0.0.1/x', REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(loadEnv(base).PUBLIC_DUMP_CRON).toBe('0 15 0 * * *');
    expect(loadEnv({ ...base, PUBLIC_DUMP_CRON: ' 30 1 * * * ' }).PUBLIC_DUMP_CRON).toBe(
      '30 1 * * *',
    );
    expect(loadEnv({ ...base, PUBLIC_DUMP_CRON: '0 */5 1-3 * * 1,3' }).PUBLIC_DUMP_CRON).toBe(
      '0 */5 1-3 * * 1,3',
    );
    for (const [value, why] of [
      ['daily', /PUBLIC_DUMP_CRON.*has 1 fields, needs 5 or 6/],
      ['0 15 0 * *  * *', /PUBLIC_DUMP_CRON.*has 7 fields/],
      ['0 75 0 * * *', /PUBLIC_DUMP_CRON.*minute field "75" is not valid \(numbers 0-59\)/],
      ['0 15 24 * * *', /PUBLIC_DUMP_CRON.*hour field "24"/],
      ['0 15 0 0 * *', /PUBLIC_DUMP_CRON.*day of month field "0"/],
      ['0 15 5-2 * * *', /PUBLIC_DUMP_CRON.*hour field "5-2"/],
      ['0 15 0 * 13 *', /PUBLIC_DUMP_CRON.*month field "13"/],
      ['? 15 0 * * *', /PUBLIC_DUMP_CRON.*second field "\?"/],
      ['0 15 0 * * x', /PUBLIC_DUMP_CRON.*weekday field "x"/],
    ] as const) {
      expect(() => loadEnv({ ...base, PUBLIC_DUMP_CRON: value }), value).toThrow(why);
    }
  });
});
