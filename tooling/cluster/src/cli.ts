/**
 * `npm run cluster -- up|down|status` (scripts/cluster.ts, or bin/llmpt-cluster.js):
 *
 *   up [--apis N] [--workers M] [--base-port P] [--detach] [--no-monitoring]
 *                 start the topology (with Prometheus, Alertmanager and the exporters unless
 *                 --no-monitoring), print one JSON line with every endpoint; run until Ctrl-C,
 *                 or leave it running (--detach)
 *   down [--base-port P] [--wipe]     stop the cluster on P (and remove its data with --wipe)
 *   status [--base-port P]            the JSON line plus each part's health; exit 0 when healthy
 *
 * Progress goes to stderr, the JSON line alone to stdout. Bad flags exit 2 before anything
 * starts; a taken port or another cluster in the way exits 1, naming it. The process that runs
 * a cluster (`up` itself, or with --detach a supervisor in its own session whose output goes to
 * `<data>/logs/supervisor.log`) writes `state.json` into the data directory, which `down` and
 * `status` read; `down` signals it and waits until every process is gone and every port free.
 */
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

// Only the light layout module up front: a bad flag is refused before the rest (Postgres and
// Redis clients, the stack) is loaded.
import {
  DEFAULT_BASE_PORT,
  type Flags,
  UsageError,
  clusterDir,
  clustersRoot,
  namedPorts,
  pathsOf,
  portsOf,
  say,
  validateTopology,
} from './layout.ts';

const USAGE = `usage: npm run cluster -- up [--apis N] [--workers M] [--base-port P] [--detach] [--no-monitoring]
       npm run cluster -- down [--base-port P] [--wipe]
       npm run cluster -- status [--base-port P]`;
/** `down` gives up after this long (apps stop within 20 s, Postgres within 30 s). */
const DOWN_TIMEOUT_MS = 120_000;

function parse(args: string[], allowed: string[]): Flags {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      apis: { type: 'string' },
      workers: { type: 'string' },
      'base-port': { type: 'string' },
      detach: { type: 'boolean' },
      wipe: { type: 'boolean' },
      'no-monitoring': { type: 'boolean' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  for (const name of Object.keys(values))
    if (!allowed.includes(name)) throw new UsageError(`--${name} does not go with this command`);
  const int = (name: string, value: string | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value))
      throw new UsageError(`--${name} must be a whole number (got "${value}")`);
    return Number(value);
  };
  const flags = {
    apis: int('apis', values.apis, 2),
    workers: int('workers', values.workers, 2),
    basePort: int('base-port', values['base-port'], DEFAULT_BASE_PORT),
    detach: values.detach ?? false,
    wipe: values.wipe ?? false,
    monitoring: !values['no-monitoring'],
  };
  validateTopology(flags);
  return flags;
}

async function up(flags: Flags): Promise<void> {
  const { assertCanStart } = await import('./state.ts');
  // Refused here, before a supervisor or a data directory exists.
  await assertCanStart(clustersRoot(), flags, portsOf(flags));
  const { detach, supervise } = await import('./supervisor.ts');
  if (flags.detach) return detach(flags);
  supervise(flags, 'foreground');
}

async function down(flags: Flags): Promise<void> {
  const [{ isAlive, readState, removeState }, { isPortFree }] = await Promise.all([
    import('./state.ts'),
    import('@llmpt/devstack'),
  ]);
  const dataDir = clusterDir(flags.basePort);
  const state = await readState(dataDir);
  if (!state) say(`no cluster is running on base port ${flags.basePort}`);
  else {
    const live = isAlive(state.supervisorPid);
    if (live) {
      say(`stopping the cluster on base port ${flags.basePort} (pid ${state.supervisorPid})`);
      process.kill(state.supervisorPid, 'SIGTERM');
    } else {
      say(`its supervisor (pid ${state.supervisorPid}) is gone: waiting for what it left`);
    }
    const ports = namedPorts(portsOf(state));
    const pids = [state.supervisorPid, ...Object.values(state.pids)].filter(
      (p): p is number => typeof p === 'number',
    );
    const deadline = Date.now() + DOWN_TIMEOUT_MS;
    for (;;) {
      const running = pids.filter(isAlive);
      const taken: string[] = [];
      for (const [port, what] of ports)
        if (!(await isPortFree(port))) taken.push(`${port} (${what})`);
      if (running.length === 0 && taken.length === 0) break;
      if (Date.now() > deadline) {
        say(
          `still running after ${DOWN_TIMEOUT_MS / 1000} s: pids ${running.join(', ') || 'none'}; ports taken: ${taken.join(', ') || 'none'}`,
        );
        process.exit(1);
      }
      await sleep(200);
    }
    await removeState(dataDir);
    say(`stopped: no process left, every port free`);
  }
  if (flags.wipe) {
    await rm(dataDir, { recursive: true, force: true });
    say(`removed ${dataDir}`);
  }
}

async function status(flags: Flags): Promise<void> {
  const [{ isAlive, readState }, { loadSecrets }, { checkHealth, isHealthy }] = await Promise.all([
    import('./state.ts'),
    import('./secrets.ts'),
    import('./health.ts'),
  ]);
  const dataDir = clusterDir(flags.basePort);
  const state = await readState(dataDir);
  if (!state || !isAlive(state.supervisorPid)) {
    say(
      state
        ? `the cluster on base port ${flags.basePort} is not running (its supervisor, pid ${state.supervisorPid}, is gone)`
        : `no cluster is running on base port ${flags.basePort}`,
    );
    process.exit(1);
  }
  if (!state.ready) say(`the cluster on base port ${flags.basePort} is still starting`);
  const secrets = await loadSecrets(pathsOf(dataDir).secrets);
  const health = await checkHealth(state.endpoints, portsOf(state), secrets);
  process.stdout.write(`${JSON.stringify({ ...state.endpoints, health })}\n`);
  process.exit(isHealthy(health) ? 0 : 1);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  const common = ['base-port'];
  switch (command) {
    case 'up':
      return up(parse(args, [...common, 'apis', 'workers', 'detach', 'no-monitoring']));
    case 'supervise': {
      const flags = parse(args, [...common, 'apis', 'workers', 'no-monitoring']);
      const { supervise } = await import('./supervisor.ts');
      return supervise(flags, 'detached');
    }
    case 'down':
      return down(parse(args, [...common, 'wipe']));
    case 'status':
      return status(parse(args, common));
    default:
      throw new UsageError(command ? `unknown command "${command}"` : 'no command');
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const usage =
    err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  say(err instanceof Error ? err.message : String(err));
  if (usage) process.stderr.write(`${USAGE}\n`);
  process.exit(usage ? 2 : 1);
});
