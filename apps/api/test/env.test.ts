import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ENV_KEYS, loadEnv } from '../src/env.ts';

const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
const listed = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));

describe('apps/api environment', () => {
  it('lists every variable it reads in .env.example', () => {
    expect(ENV_KEYS.filter((k) => !listed.has(k))).toEqual([]);
  });

  it('stops with one message naming every bad variable, changing nothing', () => {
    expect(() =>
      loadEnv({
        DATABASE_URL: 'mysql://x',
        REDIS_URL: 'redis://127.0.0.1:6379',
        VOTER_COOKIE_SECRET: 'short',
        WS_MAX_SUBSCRIPTIONS: '0',
        METRICS_PORT: '70000',
      }),
    ).toThrow(
      /Invalid environment for apps\/api:\n {2}DATABASE_URL: must be a postgres:\/\/ URL\n {2}VOTER_COOKIE_SECRET: must be at least 32 characters\n {2}METRICS_PORT: .*\n {2}WS_MAX_SUBSCRIPTIONS: /,
    );
  });

  it('runs as production unless told otherwise', () => {
    const env = loadEnv({
      DATABASE_URL: 'postgres://x@127.0.0.1/x',
      REDIS_URL: 'redis://127.0.0.1:6379',
      VOTER_COOKIE_SECRET: 'x'.repeat(32),
    });
    expect(env.NODE_ENV).toBe('production');
    expect(env.TRUST_PROXY).toEqual([]);
    expect(env.METRICS_HOST).toBe('127.0.0.1');
  });
});
