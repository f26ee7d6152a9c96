#!/usr/bin/env node
// @ts-check
// The CLI of @llmpt/cluster (`npm run cluster -- up|down|status`), whose source is TypeScript
// run by tsx. Also what `up --detach` starts as the cluster's supervisor.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
