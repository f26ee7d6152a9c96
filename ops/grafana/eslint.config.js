import { config } from '@llmpt/eslint-config';

export default config(import.meta.dirname);
