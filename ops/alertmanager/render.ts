/**
 * Alertmanager's configuration for a deployment: the routing of ops/alertmanager/alertmanager.yml
 * (the one source) with webhook receivers added per severity. The cluster renders it at start;
 * compose and Kubernetes render it the same way:
 *
 *   node --import tsx ops/alertmanager/render.ts [--webhook critical=URL …] > alertmanager.yml
 *
 * or with ALERTMANAGER_WEBHOOK_CRITICAL / ALERTMANAGER_WEBHOOK_WARNING (comma-separated URLs) in
 * the environment. A severity without a webhook still routes, to nobody (Alertmanager's UI and
 * API show its alerts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { parse, stringify } from 'yaml';

export const ALERTMANAGER_CONFIG = fileURLToPath(new URL('./alertmanager.yml', import.meta.url));

/** The receivers of alertmanager.yml: one per `severity` label the rules use. */
export const SEVERITIES = ['critical', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface AlertmanagerOptions {
  /** Webhook URLs per severity (Alertmanager POSTs its JSON payload to each). */
  webhooks?: Partial<Record<Severity, string[]>>;
  /**
   * Tests only: every route's group_wait / group_interval replaced (e.g. '1s'), so a firing alert
   * is sent at once; the shipped timings stay as written.
   */
  groupWait?: string;
  groupInterval?: string;
}

interface Route {
  group_wait?: string;
  group_interval?: string;
  routes?: Route[];
}
interface Config {
  route: Route;
  receivers: Array<{ name: string; webhook_configs?: unknown[] }>;
}

/** Throws on anything but an absolute http(s) URL. */
export function checkWebhookUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`webhook "${url}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(`webhook "${url}": only http and https URLs are supported`);
}

/** The configuration text (YAML). */
export function renderAlertmanagerConfig(opts: AlertmanagerOptions = {}): string {
  const config = parse(readFileSync(ALERTMANAGER_CONFIG, 'utf8')) as Config;
  for (const [severity, urls] of Object.entries(opts.webhooks ?? {})) {
    const receiver = config.receivers.find((r) => r.name === severity);
    if (!receiver)
      throw new Error(`no receiver "${severity}" (severities: ${SEVERITIES.join(', ')})`);
    for (const url of urls ?? []) checkWebhookUrl(url);
    if (urls?.length) receiver.webhook_configs = urls.map((url) => ({ url, send_resolved: true }));
  }
  const retime = (route: Route) => {
    if (opts.groupWait) route.group_wait = opts.groupWait;
    if (opts.groupInterval) route.group_interval = opts.groupInterval;
    route.routes?.forEach(retime);
  };
  retime(config.route);
  return `# Rendered from ops/alertmanager/alertmanager.yml by ops/alertmanager/render.ts.\n${stringify(config)}`;
}

/** `--webhook severity=URL` flags and ALERTMANAGER_WEBHOOK_<SEVERITY> variables as webhooks. */
export function webhooksFrom(
  flags: string[],
  env: NodeJS.ProcessEnv,
): Partial<Record<Severity, string[]>> {
  const webhooks: Partial<Record<Severity, string[]>> = {};
  const add = (severity: string, url: string, from: string) => {
    if (!SEVERITIES.includes(severity as Severity))
      throw new Error(`${from}: severity must be one of ${SEVERITIES.join(', ')}`);
    checkWebhookUrl(url);
    (webhooks[severity as Severity] ??= []).push(url);
  };
  for (const severity of SEVERITIES) {
    const name = `ALERTMANAGER_WEBHOOK_${severity.toUpperCase()}`;
    for (const url of (env[name] ?? '').split(',').map((s) => s.trim()))
      if (url) add(severity, url, name);
  }
  for (const flag of flags) {
    const i = flag.indexOf('=');
    if (i < 0) throw new Error(`--webhook ${flag}: expected SEVERITY=URL`);
    add(flag.slice(0, i), flag.slice(i + 1), `--webhook ${flag}`);
  }
  return webhooks;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    const { values } = parseArgs({
      strict: true,
      options: { webhook: { type: 'string', multiple: true, default: [] } },
    });
    process.stdout.write(
      renderAlertmanagerConfig({ webhooks: webhooksFrom(values.webhook, process.env) }),
    );
  } catch (err) {
    console.error(`ops/alertmanager/render.ts: ${(err as Error).message}`);
    console.error(
      'usage: node --import tsx ops/alertmanager/render.ts [--webhook critical|warning=URL …]',
    );
    process.exit(2);
  }
}
