/**
 * tRPC's wire format, written by hand where speed matters (the lean HTTP route, the live rooms,
 * cached reads over WebSocket), and the ONE place outside the routers that reads tRPC's
 * internals (the procedure table, its meta, error shapes). Contract tests against the stock
 * clients: test/wire.test.ts and the tests that use `httpLink`, `httpBatchLink` and `wsLink`.
 */
import {
  TRPCError,
  type TRPCProcedureType,
  callTRPCProcedure,
  getErrorShape,
  getTRPCErrorFromUnknown,
} from '@trpc/server';

import type { Context, Deps } from './context.ts';
import { appRouter } from './routers/index.ts';
import type { ProcedureMeta } from './trpc.ts';

interface ProcedureDef {
  _def: { type: TRPCProcedureType; meta?: ProcedureMeta };
}

/**
 * Procedures by path, in a Map: a path taken from a URL or a message (`__proto__`,
 * `constructor`, `toString`) can only ever find a real procedure, never an object's prototype.
 * (At run time tRPC's table is flat: 'vote.cast' -> procedure.)
 */
const procedures: ReadonlyMap<string, ProcedureDef> = new Map(
  Object.entries(appRouter._def.procedures as unknown as Record<string, ProcedureDef>),
);

export function procedureAt(path: string): ProcedureDef | undefined {
  return procedures.get(path);
}

/** The `path` label of request metrics: unknown paths share one value (no series per URL). */
export function metricPath(path: string): string {
  return procedures.has(path) ? path : '(unknown)';
}

/** The version a cacheable read's answer is at now (its `.meta({ cacheVersion })`), else null. */
export function cacheVersionOf(path: string, deps: Deps): string | null {
  return procedures.get(path)?._def.meta?.cacheVersion?.(deps) ?? null;
}

/**
 * The caller's read variant for `path` (`.meta({ variant })`), or null when the read has none.
 * Non-null: the response cache key and version are suffixed with it (`withVariant`).
 */
export function variantOf(path: string, ctx: () => Context): string | null {
  const variant = procedures.get(path)?._def.meta?.variant;
  return variant ? variant(ctx()) : null;
}

/**
 * A variant read's cache key and version: the variant in both (separate entries, distinct
 * ETags) and the flags' version in it (nothing cached before a flag change is served after).
 */
export function withVariant(
  key: string,
  version: string,
  variant: string | null,
  deps: Deps,
): { key: string; version: string } {
  if (variant === null) return { key, version };
  return {
    key: `${key}#${variant}`,
    version: `${version}.f${deps.flags.version}${variant ? `.${variant}` : ''}`,
  };
}

/** Seconds the edge may keep a successful answer of `path` (`.meta({ edgeTtlSec })`), else null. */
export function edgeTtlOf(path: string): number | null {
  return procedures.get(path)?._def.meta?.edgeTtlSec ?? null;
}

/**
 * Runs a procedure through tRPC itself: same middleware, validation and errors. For a
 * subscription it resolves to the (not yet started) async iterable.
 */
export function callProcedure(opts: {
  path: string;
  type: TRPCProcedureType;
  input: unknown;
  ctx: Context;
}): Promise<unknown> {
  const procedure = procedures.get(opts.path);
  if (!procedure) {
    return Promise.reject(
      new TRPCError({ code: 'NOT_FOUND', message: `No procedure "${opts.path}"` }),
    );
  }
  if (procedure._def.type !== opts.type) {
    return Promise.reject(
      new TRPCError({
        code: 'METHOD_NOT_SUPPORTED',
        message: `Unsupported ${opts.type} call to ${procedure._def.type} procedure at path "${opts.path}"`,
      }),
    );
  }
  return callTRPCProcedure({
    router: appRouter,
    path: opts.path,
    getRawInput: () => Promise.resolve(opts.input),
    ctx: opts.ctx,
    type: opts.type,
    signal: undefined,
    batchIndex: 0,
  });
}

export type ErrorShape = ReturnType<typeof errorShape>;

/** tRPC's error shape (through our `errorFormatter`) for any thrown value. */
export function errorShape(opts: {
  cause: unknown;
  type: TRPCProcedureType | 'unknown';
  path: string | undefined;
  input: unknown;
  ctx: Context | undefined;
}) {
  return getErrorShape({
    config: appRouter._def._config,
    error: getTRPCErrorFromUnknown(opts.cause),
    type: opts.type,
    path: opts.path,
    input: opts.input,
    ctx: opts.ctx,
  });
}

// ── HTTP ──────────────────────────────────────────────────────────────────────────────────

const RESULT_HEAD = '{"result":{"data":';
const RESULT_TAIL = '}}';

/** A successful HTTP answer: `{"result":{"data":…}}`. */
export function httpResultBody(data: unknown): string {
  return `${RESULT_HEAD}${JSON.stringify(data) ?? 'null'}${RESULT_TAIL}`;
}

// ── WebSocket ─────────────────────────────────────────────────────────────────────────────

export type RequestId = number | string;

function wsHead(id: RequestId, jsonrpc: boolean): string {
  return `{"id":${JSON.stringify(id)}${jsonrpc ? ',"jsonrpc":"2.0"' : ''}`;
}

/** Any ws response: `{ id, jsonrpc?, …body }` (started, stopped, error). */
export function wsMessage(id: RequestId, jsonrpc: boolean, body: object): string {
  const rest = JSON.stringify(body);
  return rest === '{}' ? `${wsHead(id, jsonrpc)}}` : `${wsHead(id, jsonrpc)},${rest.slice(1)}`;
}

/**
 * A query's answer over ws, `{ id, result: { type: 'data', data } }`, made from the encoded HTTP
 * answer (`httpResultBody`) without parsing it: the data bytes are taken as they are.
 */
export function wsResultFrame(id: RequestId, jsonrpc: boolean, httpBody: Buffer): Buffer {
  const data = httpBody.subarray(RESULT_HEAD.length, httpBody.length - RESULT_TAIL.length);
  return Buffer.concat([
    Buffer.from(`${wsHead(id, jsonrpc)},"result":{"type":"data","data":`),
    data,
    Buffer.from('}}'),
  ]);
}

/** A tracked subscription value: `{ id, result: { type: 'data', id, data: { id, data } } }`. */
export function wsTrackedFrame(
  id: RequestId,
  jsonrpc: boolean,
  trackedId: string,
  dataJson: string,
): Buffer {
  const tid = JSON.stringify(trackedId);
  return Buffer.from(
    `${wsHead(id, jsonrpc)},"result":{"type":"data","id":${tid},"data":{"id":${tid},"data":${dataJson}}}}`,
  );
}
