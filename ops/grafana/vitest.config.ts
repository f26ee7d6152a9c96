import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // panels-have-data starts a whole cluster with monitoring (Postgres ×2, PgBouncer, Redis ×2,
    // three Sentinels, nginx, apis, workers, Prometheus and the exporters) and drives traffic.
    hookTimeout: 300_000,
    testTimeout: 300_000,
    fileParallelism: false,
  },
});
