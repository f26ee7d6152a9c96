import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One cluster (Postgres primary + replica, PgBouncer, Redis + replica + 3 Sentinels, nginx,
    // 8 apis, 2 workers) is started in beforeAll and shared; a second one joins it for a while.
    hookTimeout: 300_000,
    testTimeout: 300_000,
    fileParallelism: false,
  },
});
