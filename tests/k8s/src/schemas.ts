import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { Ajv, type ValidateFunction } from 'ajv';
import ts from 'typescript';

import { type K8sObject, ref } from './render.ts';

/** What validate() of a kubernetes-models class throws: ajv's errors, with a message. */
interface ModelClass {
  new (data: unknown): { validate(): void };
}

/**
 * Checks a built-in object against the Kubernetes OpenAPI schema that kubernetes-models ships
 * (types, enums, required fields, formats). Returns one line per problem.
 */
export async function validateBuiltIn(o: K8sObject): Promise<string[] | undefined> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ `kubernetes-models/${o.apiVersion}`)) as Record<
      string,
      unknown
    >;
  } catch {
    return undefined; // not a built-in API group/version
  }
  const Model = mod[o.kind] as ModelClass | undefined;
  if (!Model) return undefined;
  try {
    new Model(o).validate();
    return [];
  } catch (err) {
    return [`${ref(o)}: ${err instanceof Error ? err.message : String(err)}`];
  }
}

const modelsDir = path.dirname(createRequire(import.meta.url).resolve('kubernetes-models'));

/** Programs by their entry source: the mutation tests check the same kinds many times. */
const programs = new Map<string, { checker: ts.TypeChecker; types: Map<string, ts.Type> }>();

/**
 * Unknown fields in built-in objects. The OpenAPI schemas accept any extra field (the API
 * server drops or, with strict field validation, refuses it), so a misspelt `readinesProbe`
 * would pass validate(): the field names are taken from kubernetes-models' TypeScript
 * declarations of the same schemas instead, walked with the TypeScript checker.
 */
export function unknownFields(objects: K8sObject[]): string[] {
  const builtIn = objects.filter((o) => declarationFile(o) !== undefined);
  const entry = path.join(modelsDir, '__llmpt_fields__.ts');
  const source = builtIn
    .map((o, i) => {
      const file = declarationFile(o)!.replace(/\.d\.ts$/, '');
      return `import type { I${o.kind} as T${i} } from ${JSON.stringify(file)};\nexport declare const v${i}: T${i};`;
    })
    .join('\n');
  const { checker, types } = programs.get(source) ?? compile(entry, source);
  programs.set(source, { checker, types });
  const problems: string[] = [];

  const walk = (value: unknown, declared: ts.Type, at: string): void => {
    if (value === null || typeof value !== 'object') return;
    let t = checker.getNonNullableType(declared);
    if (t.isUnion()) {
      const objects = t.types.filter((u) => u.flags & ts.TypeFlags.Object);
      if (objects.length !== 1) return; // e.g. IntOrString: no fields to check
      t = objects[0]!;
    }
    if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (Array.isArray(value)) {
      if (!checker.isArrayType(t)) return;
      const [element] = checker.getTypeArguments(t as ts.TypeReference);
      if (element) value.forEach((v, i) => walk(v, element, `${at}[${i}]`));
      return;
    }
    const index = checker.getIndexInfoOfType(t, ts.IndexKind.String);
    for (const [key, v] of Object.entries(value)) {
      const prop = checker.getPropertyOfType(t, key);
      if (prop) walk(v, checker.getTypeOfSymbol(prop), `${at}.${key}`);
      else if (index) walk(v, index.type, `${at}.${key}`);
      else problems.push(`${at}.${key}: no such field`);
    }
  };
  builtIn.forEach((o, i) => {
    const t = types.get(`v${i}`);
    if (t) walk(o, t, ref(o));
  });
  return problems;
}

/** A program whose entry declares one variable per object, typed by its kubernetes-models interface. */
function compile(
  entry: string,
  source: string,
): { checker: ts.TypeChecker; types: Map<string, ts.Type> } {
  const options: ts.CompilerOptions = {
    noEmit: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    name === entry ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === entry || fileExists(name);
  const program = ts.createProgram([entry], options, host);
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(entry)!;
  const types = new Map<string, ts.Type>();
  ts.forEachChild(file, (node) => {
    if (!ts.isVariableStatement(node)) return;
    for (const d of node.declarationList.declarations)
      types.set(d.name.getText(file), checker.getTypeAtLocation(d));
  });
  return { checker, types };
}

function declarationFile(o: K8sObject): string | undefined {
  const file = path.join(modelsDir, o.apiVersion, `${o.kind}.d.ts`);
  try {
    readFileSync(file);
    return file;
  } catch {
    return undefined;
  }
}

interface CrdFixture {
  source: string;
  license: string;
  group: string;
  kind: string;
  versions: Record<string, unknown>;
}

/**
 * A CRD's schema as the API server applies it with strict field validation (kubectl's default):
 * an object schema with `properties` refuses other fields unless it says otherwise.
 */
function strictSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node))
    out[k] =
      k === 'properties' || k === 'patternProperties'
        ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strictSchema(s)]))
        : strictSchema(v);
  if (
    'properties' in out &&
    !('additionalProperties' in out) &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  )
    out.additionalProperties = false;
  return out;
}

const fixturesDir = path.resolve(import.meta.dirname, '../fixtures/crds');

/** The custom resources' validators, by `group/version Kind`, from fixtures/crds. */
export function loadCrdValidators(): Map<string, ValidateFunction> {
  // Kubernetes' own keywords (x-kubernetes-*) are not JSON Schema: allowed, not enforced;
  // formats (int32, date-time, …) are not checked either.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validators = new Map<string, ValidateFunction>();
  for (const name of readdirSync(fixturesDir).filter((f) => f.endsWith('.json'))) {
    const crd = JSON.parse(readFileSync(path.join(fixturesDir, name), 'utf8')) as CrdFixture;
    for (const [version, schema] of Object.entries(crd.versions))
      validators.set(
        `${crd.group}/${version} ${crd.kind}`,
        ajv.compile(strictSchema(schema) as object),
      );
  }
  return validators;
}

/** Validates every object: built-in kinds, then custom resources; an unknown kind is a problem. */
export async function validateAll(
  objects: K8sObject[],
  crds: Map<string, ValidateFunction>,
): Promise<{ problems: string[]; builtIn: number; custom: number }> {
  const problems: string[] = [];
  let builtIn = 0;
  let custom = 0;
  for (const o of objects) {
    const asBuiltIn = await validateBuiltIn(o);
    if (asBuiltIn) {
      builtIn++;
      problems.push(...asBuiltIn);
      continue;
    }
    const validate = crds.get(`${o.apiVersion} ${o.kind}`);
    if (!validate) {
      problems.push(`${ref(o)}: no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    custom++;
    if (!validate(o))
      for (const e of validate.errors ?? [])
        problems.push(
          `${ref(o)}: ${e.instancePath || '/'} ${e.message ?? e.keyword}${
            e.keyword === 'additionalProperties'
              ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
              : ''
          }`,
        );
  }
  problems.push(...unknownFields(objects));
  return { problems, builtIn, custom };
}
