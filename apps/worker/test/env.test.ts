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
});
