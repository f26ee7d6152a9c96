/**
 * Where a process's CPU went, from a V8 `.cpuprofile` (`npm run bench -- --profile`, or any
 * `node --cpu-prof`): self time by package and by function, idle excluded from the shares.
 * For the flame graph, open the same file in Chrome DevTools (Performance) or speedscope.
 *
 *   node --import tsx bench/profile-summary.ts bench/results/profiles/api-1-1/CPU.*.001.cpuprofile [--top 25]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  strict: true,
  options: { top: { type: 'string', default: '25' } },
});
const top = Number(values.top);
if (positionals.length !== 1 || !Number.isInteger(top) || top < 1) {
  console.error('usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top N]');
  process.exit(2);
}
const profile = JSON.parse(await readFile(positionals[0]!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) =>
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
);

/** node_modules package, node: builtin, workspace folder, or V8's own (GC, program, …). */
function ownerOf(url: string, fn: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const ws = /\/(apps|packages|bench)\/([^/]+)\//.exec(url);
  if (ws) return `${ws[1]}/${ws[2]}`;
  return fn || '(native)';
}

let busy = 0;
let idle = 0;
const byOwner = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  if (functionName === '(idle)') {
    idle += us;
    continue;
  }
  busy += us;
  const owner = ownerOf(url, functionName);
  byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
  const where = url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}

const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(
      `${((100 * us) / busy).toFixed(1).padStart(6)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`,
    );
};
console.log(
  `busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms (${((100 * busy) / (busy + idle)).toFixed(0)} % busy); shares below are of busy time`,
);
print('self time by package', byOwner);
print('self time by function', byFunction);
