import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['@llmpt/devstack/vitest-setup'],
    hookTimeout: 120_000,
    testTimeout: 60_000,
    // Each file starts 2 apis, a worker and nginx: one file at a time on 2 cores.
    fileParallelism: false,
    // Through the edge, fresh data arrives after a cache TTL and a ranker tick: poll for it.
    expect: { poll: { timeout: 10_000, interval: 100 } },
  },
});
