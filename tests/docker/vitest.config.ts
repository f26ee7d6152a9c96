import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Builds images and starts ~25 containers: one file at a time, long hooks.
    hookTimeout: 1_800_000,
    testTimeout: 600_000,
    fileParallelism: false,
  },
});
