import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.browser.test.ts'],
    // Postgres + Redis first, then the SPA build (test/build-web.ts provides `webDist`).
    globalSetup: ['@llmpt/devstack/vitest-setup', './test/build-web.ts'],
    hookTimeout: 180_000,
    testTimeout: 60_000,
    // Each file starts real api and worker processes and a browser: one at a time on 2 cores.
    fileParallelism: false,
    // Live updates cross a process boundary and a ranker tick: poll for them, patiently.
    expect: { poll: { timeout: 10_000, interval: 100 } },
  },
});
