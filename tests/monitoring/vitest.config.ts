import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // alerting.test.ts starts a cluster (Postgres primary + replica, Redis + Sentinels, nginx, an
    // api, a worker, the exporters, Prometheus, Alertmanager): one file at a time on 2 cores.
    hookTimeout: 300_000,
    testTimeout: 180_000,
    fileParallelism: false,
  },
});
