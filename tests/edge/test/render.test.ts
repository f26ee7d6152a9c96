// The rendered configuration itself: what a deployment gets by default, checked by nginx -t.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { SYSTEM_COMMANDS, findOrInstall } from '@llmpt/devstack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type NginxConfigOptions, renderNginxConfig } from '../../../nginx/render.ts';
import { selfSignedCertificate } from './edge.ts';

let dir: string;
let base: NginxConfigOptions;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-edge-render-'));
  await mkdir(path.join(dir, 'web'));
  await mkdir(path.join(dir, 'tmp'));
  await writeFile(path.join(dir, 'web', 'index.html'), '<!doctype html>');
  base = {
    listen: '127.0.0.1:8080',
    webRoot: path.join(dir, 'web'),
    apiServers: ['10.0.0.11:3000', '10.0.0.12:3000'],
    prefix: dir,
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('renderNginxConfig', () => {
  it('has the seed’s zones by default (API 100 r/s, voting 60 r/min, static 200 r/s), Retry-After 1', () => {
    const conf = renderNginxConfig(base);
    expect(conf).toContain('zone=llmpt_api:20m rate=100r/s;');
    expect(conf).toContain('zone=llmpt_vote:10m rate=60r/m;');
    expect(conf).toContain('zone=llmpt_static:20m rate=200r/s;');
    expect(conf).toContain('limit_conn llmpt_conn 100;');
    expect(conf).toMatch(/map \$llmpt_vote_key \$llmpt_retry_after \{\s+"" 1;\s+default 1;/);
    expect(conf).not.toMatch(/proxy_bind|ssl|\{\{/);
  });

  it('is accepted by nginx -t, with TLS, proxy_bind and an access log too', async () => {
    const nginx = await findOrInstall(SYSTEM_COMMANDS.nginx);
    // nginx -t loads the certificate and key.
    const tls = { listen: '127.0.0.1:8443', ...(await selfSignedCertificate(dir)) };
    const variants: Array<Partial<NginxConfigOptions>> = [
      {},
      { proxyBind: '127.0.0.2', accessLog: path.join(dir, 'access.log'), tls },
    ];
    for (const extra of variants) {
      const conf = path.join(dir, 'nginx.conf');
      await writeFile(conf, renderNginxConfig({ ...base, ...extra }));
      const res = spawnSync(nginx, [
        '-t',
        '-q',
        '-p',
        dir,
        '-c',
        conf,
        '-e',
        path.join(dir, 'e.log'),
      ]);
      expect(res.stderr.toString(), JSON.stringify(extra)).toBe('');
      expect(res.status).toBe(0);
    }
  });

  it('refuses values that could break out of their directive, and nonsense limits', () => {
    expect(() => renderNginxConfig({ ...base, listen: '80; include /etc/passwd' })).toThrow(
      /unsafe/,
    );
    expect(() => renderNginxConfig({ ...base, apiServers: ['a:1 backup; }'] })).toThrow(/unsafe/);
    expect(() => renderNginxConfig({ ...base, apiServers: [] })).toThrow(/at least one/);
    expect(() => renderNginxConfig({ ...base, limits: { votesPerMinute: 0 } })).toThrow(
      /votesPerMinute/,
    );
    expect(() => renderNginxConfig({ ...base, limits: { apiBurst: 1.5 } })).toThrow(/apiBurst/);
  });
});
