import { config } from '@llmpt/eslint-config';

export default [
  ...config(import.meta.dirname),
  // The plain JavaScript files are type-checked (checkJs), which already reports unknown names.
  { files: ['**/*.js'], rules: { 'no-undef': 'off' } },
];
