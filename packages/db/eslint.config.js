import { config } from '@llmpt/eslint-config';

export default [
  ...config(import.meta.dirname),
  {
    // Migrations are frozen in time, so they run against an untyped schema (Kysely<any>), as do
    // the functions that hand them a database.
    files: ['src/migrations/**/*.ts', 'src/migrator.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
];
