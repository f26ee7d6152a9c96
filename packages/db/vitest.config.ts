import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['@llmpt/devstack/vitest-setup'],
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Each file creates, migrates and drops its own database: slow hooks are expected.
    hookTimeout: 60_000,
    testTimeout: 60_000,
  },
});
