import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The package's own setup, by the same specifier the other workspaces use.
    globalSetup: ['@llmpt/devstack/vitest-setup'],
    include: ['test/**/*.test.ts'],
    // initdb alone takes seconds; stopping waits for the servers to exit.
    hookTimeout: 120_000,
    testTimeout: 120_000,
  },
});
