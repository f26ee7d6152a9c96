/**
 * Stores a CustomResourceDefinition's validation schemas as a test fixture: the
 * openAPIV3Schema of each served version, with `description`s dropped (they are most of the
 * size and no part of validation). Run again when an operator's version changes:
 *
 *   node scripts/import-crd.ts CRD.yaml --source 'repo@tag (commit) path' --license Apache-2.0
 *
 * Writes fixtures/crds/<crd name>.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { parse } from 'yaml';

interface CrdVersion {
  name: string;
  served: boolean;
  schema?: { openAPIV3Schema?: unknown };
}
interface Crd {
  kind: string;
  metadata: { name: string };
  spec: { group: string; names: { kind: string }; versions: CrdVersion[] };
}

function stripDescriptions(node: unknown, underProperties = false): unknown {
  if (Array.isArray(node)) return node.map((n) => stripDescriptions(n));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    // Inside `properties`, keys are field names: a field may be called "description".
    if (k === 'description' && !underProperties) continue;
    out[k] = stripDescriptions(v, k === 'properties' || k === 'patternProperties');
  }
  return out;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { source: { type: 'string' }, license: { type: 'string' } },
});
const [file] = positionals;
if (!file || !values.source || !values.license) {
  console.error('usage: import-crd.ts CRD.yaml --source WHERE --license SPDX');
  process.exit(2);
}
const crd = parse(readFileSync(file, 'utf8')) as Crd;
if (crd.kind !== 'CustomResourceDefinition') {
  console.error(`${file}: not a CustomResourceDefinition (kind ${crd.kind})`);
  process.exit(1);
}
const fixture = {
  source: values.source,
  license: values.license,
  group: crd.spec.group,
  kind: crd.spec.names.kind,
  versions: Object.fromEntries(
    crd.spec.versions
      .filter((v) => v.served)
      .map((v) => [v.name, stripDescriptions(v.schema?.openAPIV3Schema)]),
  ),
};
const out = path.join(import.meta.dirname, '..', 'fixtures', 'crds', `${crd.metadata.name}.json`);
writeFileSync(out, `${JSON.stringify(fixture)}\n`);
console.log(`wrote ${path.relative(process.cwd(), out)}`);
