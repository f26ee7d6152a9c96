import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { type Plugin, build } from 'esbuild';

import { BUILD_INFO, type ServerApp, appPaths, staleReason } from './bundle-check.js';

/** The repository root (this file is tooling/stack/src/bundle.ts). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

// Changes to the bundler or its options make every bundle stale.
const BUNDLER_FILES = [
  fileURLToPath(import.meta.url),
  fileURLToPath(new URL('./bundle-check.js', import.meta.url)),
  createRequire(import.meta.url).resolve('esbuild/package.json'),
];

export interface BundleResult {
  app: ServerApp;
  /** Wall time of the build, ms. */
  ms: number;
  /** Source files bundled (workspace code only: npm packages stay imports). */
  sources: number;
}

/**
 * Bundles apps/<app>/src/index.ts into apps/<app>/dist/index.js (ESM, Node 22, source map
 * beside it): the workspace packages' TypeScript (@llmpt/*) goes in, npm packages stay imports
 * resolved from node_modules at run time, and the files the code reads relative to itself
 * (`new URL('./lua/x.lua', import.meta.url)`) are copied to the same place relative to the
 * bundle. Files are replaced one by one (write, then rename), build-info.json last, so
 * processes starting meanwhile, or a parallel build, never read a half-written file.
 */
export async function bundleApp(app: ServerApp, root = repoRoot): Promise<BundleResult> {
  const started = performance.now();
  const paths = appPaths(root, app);
  const assets = new Map<string, string>(); // bundle-relative target → source file
  const result = await build({
    absWorkingDir: root,
    entryPoints: [paths.entry],
    outfile: paths.bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    write: false,
    logLevel: 'warning',
    plugins: [npmPackagesExternal(paths.outdir), relativeAssets(assets)],
  });

  await mkdir(paths.outdir, { recursive: true });
  const written = new Set<string>([BUILD_INFO]);
  for (const [target, source] of assets) {
    await writeAtomically(path.join(paths.outdir, target), await readFile(source));
    written.add(target);
  }
  // The source map before the code that names it, the code before build-info.json.
  const outputs = [...result.outputFiles].sort(
    (a, b) => (a.path.endsWith('.map') ? -1 : 1) - (b.path.endsWith('.map') ? -1 : 1),
  );
  for (const file of outputs) {
    await writeAtomically(file.path, file.contents);
    written.add(path.relative(paths.outdir, file.path));
  }

  const sources = Object.keys(result.metafile.inputs).map((p) => path.resolve(root, p));
  const inputs = [
    ...sources,
    ...assets.values(),
    ...packageJsonsOf(sources, root),
    ...BUNDLER_FILES,
  ];
  const info: Record<string, [number, number]> = {};
  for (const file of new Set(inputs)) {
    const s = await stat(file);
    info[path.relative(root, file)] = [s.size, s.mtimeMs];
  }
  await writeAtomically(
    path.join(paths.outdir, BUILD_INFO),
    `${JSON.stringify({ inputs: info }, null, 1)}\n`,
  );
  await removeOthers(paths.outdir, written);
  return { app, ms: Math.round(performance.now() - started), sources: sources.length };
}

/**
 * Bundles each of `apps` whose sources changed since its last build (see staleReason), one
 * after another; `log` hears what is rebuilt and why.
 */
export async function bundleIfStale(
  apps: readonly ServerApp[],
  log: (msg: string) => void = () => undefined,
  root = repoRoot,
): Promise<BundleResult[]> {
  const built: BundleResult[] = [];
  for (const app of apps) {
    const why = staleReason(root, app);
    if (!why) continue;
    log(`building the ${app} (${why})`);
    built.push(await bundleApp(app, root));
  }
  return built;
}

/**
 * Bare imports that are not workspace packages stay imports. The bundle then resolves them from
 * its own folder, so a package the importer would find in a nested node_modules (another
 * version) is refused rather than silently swapped for the hoisted one.
 */
function npmPackagesExternal(outdir: string): Plugin {
  const dirOf = new Map<string, string | undefined>();
  const packageDir = (from: string, name: string): string | undefined => {
    const key = `${from}\0${name}`;
    if (!dirOf.has(key)) {
      let found: string | undefined;
      for (let dir = from; ; dir = path.dirname(dir)) {
        const candidate = path.join(dir, 'node_modules', name);
        if (existsSync(candidate)) {
          found = candidate;
          break;
        }
        if (path.dirname(dir) === dir) break;
      }
      dirOf.set(key, found);
    }
    return dirOf.get(key);
  };
  return {
    name: 'npm-packages-external',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('@llmpt/')) return undefined; // bundled
        if (args.path.startsWith('node:')) return { external: true };
        const parts = args.path.split('/');
        const name = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
        const fromImporter = packageDir(args.resolveDir, name);
        const fromBundle = packageDir(outdir, name);
        if (fromImporter && fromImporter !== fromBundle) {
          return {
            errors: [
              {
                text: `${name} resolves to ${fromImporter} from ${args.importer}, but the bundle would load ${fromBundle ?? 'nothing'}: align the versions so npm hoists one copy`,
              },
            ],
          };
        }
        return { external: true };
      });
    },
  };
}

const ASSET_URL = /new URL\(\s*(['"])(\.\/[^'"]+)\1\s*,\s*import\.meta\.url\s*\)/g;

/**
 * Workspace code reads some files relative to itself (`new URL('./lua/x.lua', import.meta.url)`,
 * the Lua scripts). In the bundle, import.meta.url is dist/index.js, so each such file is copied
 * to dist/ under the same relative path. Any other use of import.meta would point somewhere
 * else than its author meant: it fails the build instead.
 */
function relativeAssets(assets: Map<string, string>): Plugin {
  return {
    name: 'relative-assets',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const code = withoutComments(await readFile(args.path, 'utf8'));
        const uses = code.split('import.meta').length - 1;
        const matches = [...code.matchAll(ASSET_URL)];
        if (uses !== matches.length) {
          return {
            errors: [
              {
                text: `${args.path} uses import.meta other than as new URL('./file', import.meta.url): the bundle cannot keep its meaning`,
              },
            ],
          };
        }
        for (const [, , relative] of matches) {
          const target = path.normalize(relative!);
          const source = path.resolve(path.dirname(args.path), relative!);
          const taken = assets.get(target);
          if (taken && taken !== source) {
            return {
              errors: [{ text: `${source} and ${taken} would both be dist/${target}: rename one` }],
            };
          }
          assets.set(target, source);
        }
        return undefined; // esbuild loads it as usual
      });
    },
  };
}

/** Roughly: enough that a comment mentioning import.meta is not taken for code. */
function withoutComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
}

/** package.json of each workspace package the sources come from (their "exports" matter). */
function packageJsonsOf(sources: string[], root: string): string[] {
  const found = new Set<string>();
  for (const source of sources) {
    for (let dir = path.dirname(source); dir.startsWith(root) && dir !== root;) {
      const candidate = path.join(dir, 'package.json');
      if (existsSync(candidate)) {
        found.add(candidate);
        break;
      }
      dir = path.dirname(dir);
    }
  }
  return [...found];
}

async function writeAtomically(file: string, contents: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, contents);
  await rename(temp, file);
}

/** Removes files of an earlier build (e.g. a renamed Lua script) that this one did not write. */
async function removeOthers(outdir: string, keep: Set<string>): Promise<void> {
  const entries = await readdir(outdir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const relative = path.relative(outdir, path.join(entry.parentPath, entry.name));
    // Another build's temp file may be about to be renamed: leave those.
    if (!keep.has(relative) && !relative.endsWith('.tmp')) await rm(path.join(outdir, relative));
  }
}
