/**
 * Renders nginx/nginx.conf.template for a deployment or a test.
 *
 *   node --import tsx nginx/render.ts --listen 0.0.0.0:80 --web-root /srv/llmpt/web \
 *     --api 10.0.0.11:3000 --api 10.0.0.12:3000 --prefix /var/lib/llmpt-nginx > nginx.conf
 *   nginx -p /var/lib/llmpt-nginx -c "$PWD/nginx.conf"
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import {
  STATIC_SECURITY_HEADERS,
  cspHeader,
  inlineScriptHashes,
} from '@llmpt/shared/security-headers';

export interface NginxConfigOptions {
  /** `host:port` (or a port) to listen on. */
  listen: string;
  /** The built SPA (apps/web/dist). */
  webRoot: string;
  /** api processes as `host:port`. */
  apiServers: string[];
  /** Writable folder for the pid file, error log and temp files. */
  prefix: string;
  /** Worker user (the `user` directive); omitted: nginx's default. */
  user?: string;
  mimeTypes?: string;
}

const TEMPLATE = fileURLToPath(new URL('./nginx.conf.template', import.meta.url));
const SAFE = /^[\w./:@-]+$/;

/** The configuration text; refuses values that could break out of their directive. */
export function renderNginxConfig(opts: NginxConfigOptions): string {
  const values = [opts.listen, opts.webRoot, opts.prefix, ...opts.apiServers, opts.user ?? ''];
  for (const v of values) {
    if (v !== '' && !SAFE.test(v)) throw new Error(`nginx config: unsafe value "${v}"`);
  }
  if (opts.apiServers.length === 0) throw new Error('nginx config: at least one --api server');
  const vars: Record<string, string> = {
    USER: opts.user ? `user ${opts.user};` : '',
    PREFIX: path.resolve(opts.prefix),
    MIME_TYPES: opts.mimeTypes ?? '/etc/nginx/mime.types',
    LISTEN: opts.listen,
    WEB_ROOT: path.resolve(opts.webRoot),
    API_SERVERS: opts.apiServers.map((s) => `    server ${s};`).join('\n'),
    SECURITY_HEADERS: securityHeaders(path.resolve(opts.webRoot)),
  };
  return readFileSync(TEMPLATE, 'utf8').replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`nginx config: no value for {{${name}}}`);
    return value;
  });
}

/**
 * The site's security headers for the locations nginx answers itself (the SPA's files), from the
 * definition the api's helmet uses too; the CSP allows the built shell's inline script by hash.
 * `always`: error pages carry them as well. /trpc gets them from the api, not twice.
 */
function securityHeaders(webRoot: string): string {
  const shell = path.join(webRoot, 'index.html');
  const hashes = existsSync(shell) ? inlineScriptHashes(readFileSync(shell, 'utf8')) : [];
  const headers: Array<[string, string]> = [
    ['Content-Security-Policy', cspHeader(hashes)],
    ...Object.entries(STATIC_SECURITY_HEADERS),
  ];
  return headers.map(([name, value]) => `add_header ${name} "${value}" always;`).join('\n      ');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    const { values } = parseArgs({
      strict: true,
      options: {
        listen: { type: 'string', default: '80' },
        'web-root': { type: 'string' },
        api: { type: 'string', multiple: true },
        prefix: { type: 'string' },
        user: { type: 'string' },
      },
    });
    if (!values['web-root'] || !values.prefix || !values.api?.length) {
      throw new Error('--web-root, --prefix and at least one --api are required');
    }
    process.stdout.write(
      renderNginxConfig({
        listen: values.listen,
        webRoot: values['web-root'],
        apiServers: values.api,
        prefix: values.prefix,
        user: values.user,
      }),
    );
  } catch (err) {
    console.error(`nginx/render.ts: ${(err as Error).message}`);
    console.error(
      'usage: node --import tsx nginx/render.ts --web-root DIR --prefix DIR --api HOST:PORT [--api …] [--listen ADDR:PORT] [--user USER]',
    );
    process.exit(2);
  }
}
