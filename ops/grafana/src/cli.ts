/**
 * `npm run build -w @llmpt/grafana`: writes the dashboards and provisioning files.
 * `npm run check -w @llmpt/grafana` (`--check`): writes nothing, exits 1 naming every file
 * that differs from what the generator makes (stale, edited by hand, or missing), and every
 * stray JSON in dashboards/ that no generator makes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { PACKAGE_DIR, differences, generatedFiles } from './generate.ts';

const USAGE = 'usage: node --import tsx src/cli.ts [--check]';

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown.map((a) => `"${a}"`).join(', ')}\n${USAGE}`);
    return 2;
  }
  const check = args.includes('--check');
  const files = await generatedFiles();
  if (check) {
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

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
