import type { FlagEvaluation, FlagView } from '@llmpt/shared';
import { expect } from 'vitest';

import { AdminBrowser, makeAdmin } from './admin-client.ts';
import type { TestApi } from './helpers.ts';

/** A signed-in admin on `api` (a real account and session, over HTTP). */
export async function signedInAdmin(api: TestApi, username: string): Promise<AdminBrowser> {
  await makeAdmin(api, username);
  const admin = new AdminBrowser(api.baseUrl);
  expect((await admin.signIn(username)).status).toBe(200);
  return admin;
}

export async function flagViews(admin: AdminBrowser): Promise<FlagView[]> {
  const r = await admin.call('admin.flags.list', 'query');
  expect(r.status).toBe(200);
  return r.body.result!.data as FlagView[];
}

/** Sets a flag through admin.flags.update from its current updatedAt; returns the new view. */
export async function setFlag(
  admin: AdminBrowser,
  key: string,
  patch: { enabled: boolean; rolloutPercent: number; experiment: boolean },
): Promise<FlagView> {
  const current = (await flagViews(admin)).find((f) => f.key === key)!;
  const r = await admin.call('admin.flags.update', 'mutation', {
    key,
    ...patch,
    expectedUpdatedAt: current.updatedAt,
  });
  expect(r.status).toBe(200);
  return r.body.result!.data as FlagView;
}

/** Until `api` evaluates at the flags version its config channel has heard of (≤ 10 s). */
export async function flagsSettled(api: TestApi, version: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (api.deps.flags.version < version) {
    if (Date.now() > deadline) throw new Error(`flags never reached version ${version}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A first visit: `flags.evaluate` without cookies, as a new browser makes it. */
export async function freshEvaluate(baseUrl: string): Promise<{
  evaluation: FlagEvaluation;
  voterId: string;
  cookies: Map<string, string>;
}> {
  const res = await fetch(`${baseUrl}/trpc/flags.evaluate`);
  expect(res.status).toBe(200);
  const cookies = new Map<string, string>();
  for (const line of res.headers.getSetCookie()) {
    const pair = line.split(';')[0]!;
    const eq = pair.indexOf('=');
    cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  // The voter cookie is `<id>.<signature>` (signed by @fastify/cookie).
  const voterId = decodeURIComponent(cookies.get('vid') ?? '').split('.')[0]!;
  expect(voterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  const body = (await res.json()) as { result: { data: FlagEvaluation } };
  return { evaluation: body.result.data, voterId, cookies };
}

/** A counter's value in a Prometheus text exposition (0 when the series is absent). */
export function counterValue(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    const parts = inside.split(',');
    if (want.every((w) => parts.includes(w)) && parts.length === want.length) {
      return Number(line.slice(line.indexOf('}') + 1).trim());
    }
  }
  return 0;
}
