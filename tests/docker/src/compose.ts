/**
 * docker-compose projects for the tests: one project name, one env file of their own (the
 * developer's .env is never read), every port from one PORT_PREFIX.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { isPortFree } from '@llmpt/devstack';
import { parse } from 'yaml';

const run = promisify(execFile);

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Ports the machine's other stacks use: the cluster's default range and `npm start`'s. */
const TAKEN_ELSEWHERE = [7100, 3000, 9463, 9464, 54329, 63790, 5432, 6379];

/**
 * The first PORT_PREFIX (81…99, then 100…655) whose 100 ports are all free on 127.0.0.1 and
 * that holds none of the ports other stacks on this machine use.
 */
export async function freePortPrefix(): Promise<string> {
  const candidates = [
    ...Array.from({ length: 19 }, (_, i) => 81 + i),
    ...Array.from({ length: 556 }, (_, i) => 100 + i),
  ];
  for (const prefix of candidates) {
    const base = prefix * 100;
    if (TAKEN_ELSEWHERE.some((p) => p >= base && p < base + 100)) continue;
    let free = true;
    for (let port = base; port < base + 100 && free; port++) free = await isPortFree(port);
    if (free) return String(prefix);
  }
  throw new Error('no PORT_PREFIX with 100 free ports');
}

/** The service names of a compose file. */
export function servicesOf(file: string): string[] {
  const doc = parse(readFileSync(path.join(repoRoot, file), 'utf8')) as {
    services: Record<string, unknown>;
  };
  return Object.keys(doc.services);
}

export interface ContainerState {
  service: string;
  status: string;
  exitCode: number;
  health: string | null;
  restarts: number;
}

export class ComposeProject {
  constructor(
    readonly name: string,
    readonly file: string,
    private readonly compose: string,
    private readonly docker: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly envFile: string,
  ) {
    writeFileSync(envFile, '');
  }

  /** docker-compose ARGS…, its output; throws with the output on failure. */
  async run(args: string[], timeout = 1_800_000): Promise<string> {
    try {
      const { stdout, stderr } = await run(
        this.compose,
        ['--env-file', this.envFile, '-p', this.name, '-f', this.file, ...args],
        { cwd: repoRoot, env: this.env, timeout, maxBuffer: 256 * 1024 * 1024 },
      );
      return `${stdout}${stderr}`;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `docker-compose ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.slice(
          -20_000,
        ),
      );
    }
  }

  /** Every container of the project, by service. */
  async containers(): Promise<ContainerState[]> {
    const ids = (await this.run(['ps', '-a', '-q']))
      .split('\n')
      .filter((l) => /^[0-9a-f]{12,}$/.test(l.trim()));
    if (ids.length === 0) return [];
    const { stdout } = await run(this.docker, ['inspect', ...ids], { maxBuffer: 64 * 1024 * 1024 });
    const raw = JSON.parse(stdout) as Array<{
      Config: { Labels: Record<string, string> };
      State: { Status: string; ExitCode: number; Health?: { Status: string } };
      RestartCount: number;
    }>;
    return raw.map((c) => ({
      service: c.Config.Labels['com.docker.compose.service'] ?? '?',
      status: c.State.Status,
      exitCode: c.State.ExitCode,
      health: c.State.Health?.Status ?? null,
      restarts: c.RestartCount,
    }));
  }

  /** `docker exec` in the container of SERVICE. */
  async exec(service: string, command: string[]): Promise<string> {
    const id = (await this.run(['ps', '-q', service])).trim().split('\n').pop()!;
    const { stdout } = await run(this.docker, ['exec', id, ...command]);
    return stdout;
  }

  async logs(services: string[] = []): Promise<string> {
    return this.run(['logs', '--no-color', '--tail', '40', ...services]).catch(
      (e: Error) => e.message,
    );
  }

  /** Stops and removes the containers, the project's volumes and its images' orphans. */
  async down(): Promise<void> {
    await this.run(['down', '-v', '--remove-orphans', '--timeout', '30']);
  }
}

/** Polls `check` until it returns a value (not undefined), or throws `what` after `ms`. */
export async function until<T>(
  what: string,
  ms: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 1000));
  }
}
