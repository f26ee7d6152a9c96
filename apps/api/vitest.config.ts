import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['@llmpt/devstack/vitest-setup'],
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
