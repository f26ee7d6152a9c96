// Lives apart from vitest-setup.ts so that test files get typed inject() by importing
// '@llmpt/devstack' (testing.ts pulls this in) without loading vitest/node types.
import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a database on the test Postgres server; pass it to createTestDatabase(). */
    pgServerUrl: string;
    /** URL of the test Redis; isolate keys with testKeyPrefix(). */
    redisUrl: string;
  }
}
