import { config } from '@llmpt/eslint-config';
import reactHooks from 'eslint-plugin-react-hooks';

export default [
  ...config(import.meta.dirname),
  // Rules of Hooks, exhaustive deps, and the React Compiler's checks (purity, refs, effects).
  reactHooks.configs.flat.recommended,
];
