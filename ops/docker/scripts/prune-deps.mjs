// Copies the npm packages a runtime needs, and nothing else, out of an installed node_modules:
// the packages a bundle imports (esbuild keeps them external) or the ones named, then their
// dependencies, recursively, resolved as Node resolves them (nested node_modules first).
//
//   node prune-deps.mjs ROOT OUT --bundle apps/api/dist/index.js
//   node prune-deps.mjs ROOT OUT --packages kysely pg zod
//
// `npm ci --omit=dev --workspace X` still installs the production dependencies of every
// workspace (for this repository: the embedded Postgres, TypeScript, eslint): 177 MB for the
// api against the few MB it loads.
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const [root, out, mode, ...args] = process.argv.slice(2);
if (!root || !out || (mode !== '--bundle' && mode !== '--packages') || args.length === 0) {
  console.error('usage: prune-deps.mjs ROOT OUT --bundle FILE… | --packages NAME…');
  process.exit(2);
}

const builtins = new Set(builtinModules);
const packageName = (spec) => {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
};

/** Bare specifiers a bundle imports (static, dynamic, require). */
function importsOf(file) {
  const code = readFileSync(file, 'utf8');
  const found = new Set();
  // A package name (scoped or not) with an optional subpath: nothing else is taken for one.
  const spec = String.raw`["'](@?[a-z0-9][\w.-]*(?:\/[\w.@-]+)*)["']`;
  const patterns = [
    new RegExp(String.raw`\bfrom\s*${spec}`, 'g'),
    new RegExp(String.raw`\bimport\s*\(\s*${spec}\s*\)`, 'g'),
    new RegExp(String.raw`\bimport\s*${spec}`, 'g'),
    new RegExp(String.raw`\brequire\s*\(\s*${spec}\s*\)`, 'g'),
  ];
  for (const re of patterns)
    for (const [, spec] of code.matchAll(re)) {
      if (spec.startsWith('node:') || builtins.has(spec) || builtins.has(packageName(spec)))
        continue;
      found.add(packageName(spec));
    }
  return [...found];
}

/** The folder Node loads `name` from when required from `fromDir`. */
function locate(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || path.dirname(dir) === dir) return null;
  }
}

// Each bundle's imports resolve from its own folder, named packages from the root.
const start =
  mode === '--bundle'
    ? args.flatMap((f) =>
        importsOf(path.resolve(root, f)).map((name) => ({
          name,
          from: path.dirname(path.resolve(root, f)),
        })),
      )
    : args.map((name) => ({ name, from: root }));
/**
 * What the app declares in its package.json (next to, or above, its bundle): a package's peer
 * dependencies are the host's to provide, and are copied when the host declares them
 * (@openfeature/server-sdk's peer @openfeature/core: the bundle itself never imports it).
 */
function declaredBy(file) {
  for (let dir = path.dirname(path.resolve(root, file)); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest))
      return Object.keys(JSON.parse(readFileSync(manifest, 'utf8')).dependencies ?? {});
    if (dir === root || path.dirname(dir) === dir) return [];
  }
}
const declared = new Set(mode === '--bundle' ? args.flatMap(declaredBy) : args);
const seen = new Set();
const queue = start.map(({ name, from }) => ({ name, from, optional: false }));
while (queue.length) {
  const { name, from, optional } = queue.shift();
  const dir = locate(name, from);
  if (!dir) {
    if (optional) continue;
    console.error(`prune-deps: ${name} (needed from ${from}) is not installed`);
    process.exit(1);
  }
  if (seen.has(dir)) continue;
  seen.add(dir);
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies ?? {}))
    queue.push({ name: dep, from: dir, optional: false });
  // Optional dependencies when installed (platform binaries). Peer dependencies only when the app
  // declares them (above): @trpc/server's peer TypeScript, 24 MB, serves its types only and is
  // not declared; the compose test runs every image.
  for (const dep of Object.keys(pkg.optionalDependencies ?? {}))
    queue.push({ name: dep, from: dir, optional: true });
  for (const dep of Object.keys(pkg.peerDependencies ?? {}))
    if (declared.has(dep)) queue.push({ name: dep, from: dir, optional: false });
}
for (const dir of seen) {
  // Workspace packages are bundled, and symlinks would point outside the image.
  if (path.relative(root, dir).split(path.sep).includes('@llmpt')) continue;
  cpSync(dir, path.join(out, path.relative(root, dir)), { recursive: true, dereference: true });
}
console.log(`prune-deps: ${seen.size} packages for ${start.length} direct imports into ${out}`);
