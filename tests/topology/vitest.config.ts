import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The cluster starts its own Postgres, Redis, Sentinels, PgBouncer and nginx.
    hookTimeout: 300_000,
    testTimeout: 300_000,
    fileParallelism: false,
  },
});
