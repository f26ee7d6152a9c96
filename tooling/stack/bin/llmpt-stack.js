#!/usr/bin/env node
// @ts-check
// The CLI of @llmpt/stack (`llmpt-stack build api`), whose source is TypeScript run by tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
