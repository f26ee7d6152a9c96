import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['@llmpt/devstack/vitest-setup'],
    hookTimeout: 120_000,
    testTimeout: 120_000,
    // Each file runs real processes; one file at a time keeps 2 cores honest.
    fileParallelism: false,
  },
});
