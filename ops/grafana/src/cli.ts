/**
 * `npm run build -w @llmpt/grafana`: writes the dashboards and provisioning files.
 * `npm run check -w @llmpt/grafana` (`--check`): writes nothing; exits 1 naming every file that
 * differs from what the generator makes (stale, edited by hand, missing) and every stray
 * dashboard no generator makes. A bad flag exits 2 and changes nothing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { parseFlags } from './flags.ts';

const USAGE = `usage: node --import tsx src/cli.ts [--check]
  (none)   write dashboards/*.json and provisioning/
  --check  compare them with the generator's output, write nothing`;

async function main(args: string[]): Promise<number> {
  const flags = parseFlags(args, { check: { type: 'boolean' } }, USAGE);
  if (!flags) return 2;
  // Loaded once the flags are known good: a bad flag is answered at once.
  const { PACKAGE_DIR, differences, generatedFiles } = await import('./generate.ts');
  const files = await generatedFiles();
  if (flags.check) {
    const problems = await differences(files);
    for (const p of problems) console.error(p);
    if (problems.length === 0) console.error(`${files.size} generated files are up to date`);
    return problems.length === 0 ? 0 : 1;
  }
  for (const [file, content] of files) {
    const target = path.join(PACKAGE_DIR, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  console.error(`wrote ${[...files.keys()].join(', ')}`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
