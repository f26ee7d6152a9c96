import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.test.ts'],
    // pgServerUrl and redisUrl: DATABASE_URL / REDIS_URL, else throwaway servers.
    globalSetup: ['@llmpt/devstack/vitest-setup'],
    hookTimeout: 120_000,
    testTimeout: 360_000,
    fileParallelism: false,
  },
});
