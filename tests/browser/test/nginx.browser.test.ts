// The SPA as static files behind nginx (nginx/nginx.conf.template), with /trpc — HTTP and
// WebSocket — proxied to the api: the at-scale layout, on loopback with Debian's nginx.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { freePort } from '@llmpt/devstack';
import { STATIC_SECURITY_HEADERS } from '@llmpt/shared/security-headers';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { type RunningNginx, startNginx } from '../../../nginx/run.ts';
import { type BrowserStack, startBrowserStack } from './harness.ts';
import { attrOf, connectionStatus, numberIn, row, rows, upvote } from './ui.ts';

let s: BrowserStack;
let nginx: RunningNginx | undefined;
let prefix = '';
let edge = '';

beforeAll(async () => {
  // nginx connects from 127.0.0.2, the one proxy the api believes X-Forwarded-For from.
  s = await startBrowserStack({ env: { TRUST_PROXY: '127.0.0.2' } });
  prefix = await mkdtemp(path.join(os.tmpdir(), 'llmpt-nginx-'));
  // Debian's nginx (NGINX_PATH for another one), installed first when root with apt.
  nginx = await startNginx({
    prefix,
    config: {
      listen: `127.0.0.1:${await freePort()}`,
      webRoot: inject('webDist'),
      apiServers: [new URL(s.baseUrl).host],
      proxyBind: '127.0.0.2',
    },
  });
  edge = nginx.url;
});

afterAll(async () => {
  await nginx?.stop();
  await s?.stop();
  if (prefix) await rm(prefix, { recursive: true, force: true });
});

describe('behind nginx', () => {
  it('serves the SPA as static files: hashed assets for a year, pages revalidated', async () => {
    const index = await fetch(`${edge}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('server')).toBe('nginx');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${edge}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(js.headers.get('content-encoding')).toBe('gzip');
    // A client-side route is the SPA's index.html, not a 404.
    const deep = await fetch(`${edge}/models/${s.llms[0]!.id}`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
  });

  it('sends the same security headers as the api, once each; never proxies /metrics', async () => {
    const api = await fetch(`${s.baseUrl}/`, { headers: { accept: 'text/html' } });
    for (const path of ['/', '/models/x', '/assets/missing.js']) {
      const res = await fetch(`${edge}${path}`, { headers: { accept: 'text/html' } });
      for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS))
        expect(res.headers.get(name), `${path} ${name}`).toBe(value);
      // The same CSP (with the built shell's script hash) as the api sends for the same page.
      expect(res.headers.get('content-security-policy')).toBe(
        api.headers.get('content-security-policy'),
      );
    }
    // Proxied answers carry the api's headers, not a second copy of nginx's.
    const proxied = await fetch(`${edge}/trpc/llm.list`);
    expect(proxied.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${edge}/metrics`)).status).toBe(404);
  });

  it('goes live over the proxied WebSocket, and a vote counts through it', async () => {
    const { page, pageErrors } = await s.newPage();
    await page.goto(`${edge}/`);
    await expect.poll(() => rows(page).count()).toBe(s.llms.length);
    await expect.poll(() => attrOf(connectionStatus(page), 'data-state')).toBe('live');

    const llm = s.llms[1]!;
    const r = row(page, llm.id);
    const before = await numberIn(r, 'up');
    await upvote(r, llm.name).click();
    await expect.poll(() => attrOf(upvote(r, llm.name), 'aria-pressed')).toBe('true');
    await expect.poll(() => numberIn(r, 'up')).toBe(before + 1);

    // The cookie came through the proxy: after a reload the ballot is still this voter's.
    await page.reload();
    await expect
      .poll(() => attrOf(upvote(row(page, llm.id), llm.name), 'aria-pressed'))
      .toBe('true');
    const tally = await s.api.llm.byId.query({ id: llm.id });
    expect(tally.up).toBe(before + 1);
    expect(pageErrors).toEqual([]);
  });
});
