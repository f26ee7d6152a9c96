import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { SYSTEM_COMMANDS, findOrInstall } from '@llmpt/devstack';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

/** The repository root (this file is tests/k8s/src/render.ts). */
export const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const k8sRoot = path.join(repoRoot, 'ops/k8s');

/** A rendered Kubernetes object: only the fields every object has are typed. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** The oldest kustomize that reads these files: the `labels:` field came in v4.1. */
const MIN_KUSTOMIZE: readonly [number, number] = [4, 1];

let kubectlPath: Promise<string> | undefined;

/**
 * kubectl (with its built-in kustomize), found or installed through @llmpt/devstack. Debian's
 * kubernetes-client 1.20 embeds kustomize v2, which cannot read these files: that is refused
 * here with the versions, rather than failing later on a field it does not know.
 */
export function kubectl(): Promise<string> {
  kubectlPath ??= findOrInstall(SYSTEM_COMMANDS.kubectl).then(checkKubectl);
  return kubectlPath;
}

/** Resolves to `bin` when its kustomize can read ops/k8s; else rejects saying what to install. */
export async function checkKubectl(bin: string): Promise<string> {
  const { stdout } = await run(bin, ['version', '--client', '-o', 'json']);
  const info = JSON.parse(stdout) as {
    clientVersion?: { gitVersion?: string };
    kustomizeVersion?: string;
  };
  const m = /^v?(\d+)\.(\d+)/.exec(info.kustomizeVersion ?? '');
  const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (major < MIN_KUSTOMIZE[0] || (major === MIN_KUSTOMIZE[0] && minor < MIN_KUSTOMIZE[1])) {
    throw new Error(
      `${bin} (${info.clientVersion?.gitVersion ?? 'unknown version'}) embeds kustomize ` +
        `${info.kustomizeVersion ?? 'older than v4 (it does not report one)'}; ops/k8s needs ` +
        `kustomize v${MIN_KUSTOMIZE.join('.')} or later (kubectl 1.22 or later). Install a newer kubectl ` +
        `or point KUBECTL_PATH at one.`,
    );
  }
  return bin;
}

/** Parses a multi-document YAML stream into objects (empty documents skipped). */
export function parseObjects(yamlText: string): K8sObject[] {
  const docs = parseAllDocuments(yamlText);
  const objects: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

/** `kubectl kustomize DIR` (with the load restrictor off where asked), parsed. */
export async function kustomize(
  dir: string,
  opts: { anyFiles?: boolean } = {},
): Promise<K8sObject[]> {
  const args = ['kustomize', dir];
  if (opts.anyFiles) args.push('--load-restrictor=LoadRestrictionsNone');
  const { stdout } = await run(await kubectl(), args, { maxBuffer: 64 * 1024 * 1024 });
  return parseObjects(stdout);
}

/**
 * A copy of the repository's ops/ (ops/k8s reads ops/prometheus/rules) in a temporary folder,
 * with the production overlay's secret files made from their `.example`s as an operator would:
 * every empty value filled with a random one. `edit` may then break the copy on purpose.
 */
export async function workCopy(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'llmpt-k8s-'));
  await cp(path.join(repoRoot, 'ops/k8s'), path.join(dir, 'ops/k8s'), { recursive: true });
  await cp(path.join(repoRoot, 'ops/prometheus/rules'), path.join(dir, 'ops/prometheus/rules'), {
    recursive: true,
  });
  const overlay = path.join(dir, 'ops/k8s/overlays/production');
  for (const name of await readdir(overlay)) {
    if (!name.endsWith('.env.example')) continue;
    const filled = (await readFile(path.join(overlay, name), 'utf8')).replace(
      /^([A-Z_]+)=$/gm,
      (_, key: string) => `${key}=${randomBytes(24).toString('hex')}`,
    );
    await writeFile(path.join(overlay, name.replace(/\.example$/, '')), filled);
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The kustomizations a deployment applies, rendered from a work copy. */
export async function renderAll(
  dir: string,
): Promise<{ production: K8sObject[]; monitoring: K8sObject[] }> {
  const [production, monitoring] = await Promise.all([
    kustomize(path.join(dir, 'ops/k8s/overlays/production')),
    kustomize(path.join(dir, 'ops/k8s/monitoring'), { anyFiles: true }),
  ]);
  return { production, monitoring };
}

/** `kind/name` for messages. */
export function ref(o: K8sObject): string {
  return `${o.kind}/${o.metadata.name}`;
}
