// The SPA as static files behind nginx (nginx/nginx.conf.template), with /trpc — HTTP and
// WebSocket — proxied to the api: the at-scale layout, on loopback with Debian's nginx.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { SYSTEM_COMMANDS, findOrInstall, freePort, killOnExit } from '@llmpt/devstack';
import { STATIC_SECURITY_HEADERS } from '@llmpt/shared/security-headers';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { renderNginxConfig } from '../../../nginx/render.ts';
import { type BrowserStack, startBrowserStack } from './harness.ts';
import { attrOf, connectionStatus, numberIn, row, rows, upvote } from './ui.ts';

let s: BrowserStack;
let nginx: ChildProcess | null = null;
let prefix = '';
let edge = '';

beforeAll(async () => {
  // Debian's nginx (NGINX_PATH for another one), installed first when root with apt.
  const nginxPath = await findOrInstall(SYSTEM_COMMANDS.nginx);
  s = await startBrowserStack();
  const webRoot = inject('webDist');
  prefix = await mkdtemp(path.join(os.tmpdir(), 'llmpt-nginx-'));
  await mkdir(path.join(prefix, 'tmp'));
  // As root, nginx's workers run as an unprivileged user: let them read the build and the prefix.
  if (process.getuid?.() === 0) await Promise.all([chmod(prefix, 0o755), chmod(webRoot, 0o755)]);
  const port = await freePort();
  const conf = path.join(prefix, 'nginx.conf');
  await writeFile(
    conf,
    renderNginxConfig({
      listen: `127.0.0.1:${port}`,
      webRoot,
      apiServers: [new URL(s.baseUrl).host],
      prefix,
    }),
  );
  nginx = spawn(nginxPath, ['-p', prefix, '-c', conf, '-g', 'daemon off;'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // Stopped in afterAll; by devstack's watchdog if this test process dies first.
  killOnExit(nginx, { signal: 'SIGQUIT' });
  edge = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited with ${nginx.exitCode}`);
    if (
      await fetch(`${edge}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error('nginx did not answer /healthz within 20 s');
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = once(nginx, 'exit');
    nginx.kill('SIGQUIT');
    await exited;
  }
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
