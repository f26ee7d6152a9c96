/**
 * The CLI of @llmpt/stack (bin/llmpt-stack.js):
 *
 *   llmpt-stack build [--if-stale] [api|worker]…   bundle the server apps (all when none named)
 *   llmpt-stack need redis-server|chromium|nginx…  find the programs, or install them (root +
 *                                                  apt), or stop with one instruction for all
 *
 * `npm run build` bundles through turbo (each app's `build`); `npm test` runs `need` first, so a
 * fresh machine gets what the suites use before the first suite starts. redis-server is only
 * needed, and looked for, when REDIS_URL is unset.
 */
import { parseArgs } from 'node:util';

import { SYSTEM_COMMANDS, findOrInstallAll } from '@llmpt/devstack';

import { SERVER_APPS, type ServerApp } from './bundle-check.js';
import { bundleApp, bundleIfStale } from './bundle.ts';

type Program = keyof typeof SYSTEM_COMMANDS;
const PROGRAMS = Object.keys(SYSTEM_COMMANDS) as Program[];
const USAGE = `usage: llmpt-stack build [--if-stale] [${SERVER_APPS.join('|')}]…
       llmpt-stack need ${PROGRAMS.join('|')}…`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'if-stale': { type: 'boolean', default: false } },
});
const [command, ...names] = positionals;

function usage(): never {
  console.error(USAGE);
  process.exit(2);
}

if (command === 'build') {
  const apps = names.length > 0 ? names : [...SERVER_APPS];
  if (!apps.every((a): a is ServerApp => (SERVER_APPS as readonly string[]).includes(a))) usage();
  const results = values['if-stale']
    ? await bundleIfStale(apps, (msg) => console.log(msg))
    : await Promise.all(apps.map((app) => bundleApp(app)));
  for (const r of results)
    console.log(`apps/${r.app}/dist/index.js: ${r.sources} sources, ${r.ms} ms`);
} else if (command === 'need') {
  if (!names.every((n): n is Program => (PROGRAMS as string[]).includes(n))) usage();
  const wanted = names.filter((n) => n !== 'redis-server' || !process.env.REDIS_URL);
  try {
    await findOrInstallAll(wanted.map((n) => SYSTEM_COMMANDS[n]));
  } catch (err) {
    console.error(`\n${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
} else {
  usage();
}
