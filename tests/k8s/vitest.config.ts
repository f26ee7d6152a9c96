import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // kubectl kustomize, the TypeScript checker over kubernetes-models' declarations and ajv
    // compiling the CRD schemas take seconds each on 2 shared cores: no timing is asserted.
    hookTimeout: 180_000,
    testTimeout: 120_000,
  },
});
