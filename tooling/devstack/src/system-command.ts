import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

// Where Debian puts daemons (nginx, redis-server, pgbouncer) that a non-root PATH often lacks.
const EXTRA_BIN_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'];
// apt-get waits this long for another apt/dpkg (a parallel install) to release its lock.
const APT_LOCK_TIMEOUT_S = 300;

/** A program the stack or a test suite runs, and the Debian package that provides it. */
export interface SystemCommand {
  /** Executable names, looked up on PATH and in /usr/bin, /usr/sbin, /usr/local/(s)bin. */
  names: string[];
  /** The Debian package to install when none is found, e.g. `nginx`. */
  aptPackage: string;
  /** A variable that may name the binary instead (e.g. NGINX_PATH): used as is when set. */
  envVar?: string;
  /** What else the user may do, for the message (default: set `envVar` to a binary). */
  otherwise?: string;
  /** `false`: never install, only look it up (default: install when root with apt-get). */
  install?: boolean;
}

/** The programs the stack and its test suites run, by executable name. */
export const SYSTEM_COMMANDS = {
  'redis-server': {
    names: ['redis-server'],
    aptPackage: 'redis-server',
    otherwise: 'set REDIS_URL',
  },
  chromium: { names: ['chromium'], aptPackage: 'chromium', envVar: 'CHROMIUM_PATH' },
  nginx: { names: ['nginx'], aptPackage: 'nginx', envVar: 'NGINX_PATH' },
  // The production topology (`npm run cluster`): a pooler in front of Postgres, and the
  // Sentinels that watch the Redis primary.
  pgbouncer: { names: ['pgbouncer'], aptPackage: 'pgbouncer', envVar: 'PGBOUNCER_PATH' },
  'redis-sentinel': {
    names: ['redis-sentinel'],
    aptPackage: 'redis-sentinel',
    envVar: 'REDIS_SENTINEL_PATH',
  },
  // Operators' tools (issue 11): Prometheus and its exporters, Alertmanager, and the packaging
  // tests' Docker engine, compose and base-image builder. Debian names the binaries itself.
  prometheus: { names: ['prometheus'], aptPackage: 'prometheus', envVar: 'PROMETHEUS_PATH' },
  promtool: { names: ['promtool'], aptPackage: 'prometheus', envVar: 'PROMTOOL_PATH' },
  alertmanager: {
    names: ['prometheus-alertmanager', 'alertmanager'],
    aptPackage: 'prometheus-alertmanager',
    envVar: 'ALERTMANAGER_PATH',
  },
  amtool: { names: ['amtool'], aptPackage: 'prometheus-alertmanager', envVar: 'AMTOOL_PATH' },
  'node-exporter': {
    names: ['prometheus-node-exporter', 'node_exporter'],
    aptPackage: 'prometheus-node-exporter',
    envVar: 'NODE_EXPORTER_PATH',
  },
  'postgres-exporter': {
    names: ['prometheus-postgres-exporter', 'postgres_exporter'],
    aptPackage: 'prometheus-postgres-exporter',
    envVar: 'POSTGRES_EXPORTER_PATH',
  },
  'redis-exporter': {
    names: ['prometheus-redis-exporter', 'redis_exporter'],
    aptPackage: 'prometheus-redis-exporter',
    envVar: 'REDIS_EXPORTER_PATH',
  },
  'nginx-exporter': {
    names: ['prometheus-nginx-exporter', 'nginx-prometheus-exporter'],
    aptPackage: 'prometheus-nginx-exporter',
    envVar: 'NGINX_EXPORTER_PATH',
  },
  'pgbouncer-exporter': {
    names: ['prometheus-pgbouncer-exporter', 'pgbouncer_exporter'],
    aptPackage: 'prometheus-pgbouncer-exporter',
    envVar: 'PGBOUNCER_EXPORTER_PATH',
  },
  dockerd: { names: ['dockerd'], aptPackage: 'docker.io', envVar: 'DOCKERD_PATH' },
  docker: { names: ['docker'], aptPackage: 'docker.io', envVar: 'DOCKER_PATH' },
  'docker-compose': {
    names: ['docker-compose'],
    aptPackage: 'docker-compose',
    envVar: 'DOCKER_COMPOSE_PATH',
  },
  debootstrap: { names: ['debootstrap'], aptPackage: 'debootstrap', envVar: 'DEBOOTSTRAP_PATH' },
  kubectl: { names: ['kubectl'], aptPackage: 'kubernetes-client', envVar: 'KUBECTL_PATH' },
} satisfies Record<string, SystemCommand>;

/**
 * The path of the program: `envVar` when set, else the first of `names` found, else, as root on
 * a Debian-like system, installs `aptPackage` with `apt-get install -y` (non-interactive, never
 * reads stdin; `apt-get update` and a second try if the first fails). Otherwise throws one
 * instruction: which command installs it, or which variable points at another binary.
 */
export async function findOrInstall(cmd: SystemCommand): Promise<string> {
  const [path] = await findOrInstallAll([cmd]);
  return path!;
}

/**
 * {@link findOrInstall} for several programs at once: the missing ones are installed with one
 * apt-get command, or named together in one instruction.
 */
export async function findOrInstallAll(cmds: SystemCommand[]): Promise<string[]> {
  const found = await Promise.all(cmds.map(lookUp));
  const missing = cmds.filter((_, i) => found[i] === undefined);
  if (missing.length === 0) return found as string[];
  const aptGet = await findExecutable('apt-get');
  const canInstall = process.getuid?.() === 0 && aptGet !== undefined;
  if (!canInstall || !aptGet || missing.some((c) => c.install === false))
    throw new Error(instruction(missing));
  // One apt-get at a time per process; parallel processes wait on apt's own lock.
  const installed = aptQueue.then(() => aptInstall(aptGet, missing));
  aptQueue = installed.catch(() => undefined);
  await installed;
  return Promise.all(cmds.map(async (c, i) => found[i] ?? (await lookUp(c))!));
}

/** `envVar` when set (it must be executable), else the first of `names` found. */
async function lookUp(cmd: SystemCommand): Promise<string | undefined> {
  const given = cmd.envVar ? process.env[cmd.envVar] : undefined;
  if (given) {
    if (await isExecutable(given)) return given;
    throw new Error(`${cmd.envVar}=${given} is not an executable file`);
  }
  return findExecutable(...cmd.names);
}

let aptQueue: Promise<unknown> = Promise.resolve();
let updated = false;

async function aptInstall(aptGet: string, cmds: SystemCommand[]): Promise<void> {
  // Another caller may have installed some while this one queued.
  const still = (await Promise.all(cmds.map(lookUp))).map((p, i) => (p ? null : cmds[i]!));
  const missing = still.filter((c): c is SystemCommand => c !== null);
  if (missing.length === 0) return;
  const packages = missing.map((c) => c.aptPackage);
  const lock = ['-o', `DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT_S}`];
  const install = [...lock, 'install', '-y', ...packages];
  console.warn(
    `[devstack] not found: ${names(missing)}: running \`apt-get install -y ${packages.join(' ')}\``,
  );
  let code = await runVisibly(aptGet, install);
  if (code !== 0 && !updated) {
    console.warn('[devstack] that failed: running `apt-get update`, then installing again');
    updated = true;
    await runVisibly(aptGet, [...lock, 'update']);
    code = await runVisibly(aptGet, install);
  }
  const left = (await Promise.all(missing.map(lookUp))).some((p) => p === undefined);
  if (code !== 0 || left) {
    const detail = code === 0 ? 'still not found afterwards' : `exit code ${code}`;
    throw new Error(`${instruction(missing)} (installing with apt-get failed: ${detail})`);
  }
}

const names = (cmds: SystemCommand[]) => cmds.map((c) => c.names[0] ?? c.aptPackage).join(', ');

/** One instruction for everything missing. */
function instruction(missing: SystemCommand[]): string {
  const packages = missing.map((c) => c.aptPackage).join(' ');
  const others = missing
    .map((c) => c.otherwise ?? (c.envVar && `set ${c.envVar} to a ${c.names[0]} binary`))
    .filter(Boolean);
  const or = others.length > 0 ? `, or ${others.join(', ')}` : '';
  return `${names(missing)} not found: install (e.g. \`sudo apt-get install ${packages}\`)${or}`;
}

/** The first of `names` that is an executable file on PATH or in the usual bin folders. */
export async function findExecutable(...names: string[]): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...EXTRA_BIN_DIRS];
  for (const name of names) {
    for (const dir of new Set(dirs.filter(Boolean))) {
      const candidate = path.join(dir, name);
      if (await isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, constants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Runs a command with its output on our stderr, so stdout stays clean; resolves its exit code. */
async function runVisibly(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 2, 2],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.once('error', () => resolve(-1));
    child.once('exit', (code) => resolve(code ?? -1));
  });
}
