import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The launcher tests run `npm start`, with its own Postgres and Redis, one after another.
    hookTimeout: 180_000,
    testTimeout: 300_000,
    fileParallelism: false,
  },
});
