import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { createDb, postgresRebuildSource, RestoreRefused, restoreDatabase } from '@llmpt/db';
import { parseEnv, redisEnvShape } from '@llmpt/shared';
import {
  VoteStore,
  createRedis,
  ensureTallies,
  rebuildUnreadyPartitions,
  redisTargetOf,
} from '@llmpt/vote-store';
import { z } from 'zod';

import { POSTGRES_DUMP } from '../jobs/backup.processor.ts';

const USAGE = `usage: npm run db:restore -- BACKUP [--target URL] [--force] [--redis]

  BACKUP       a backup folder (llmpt-…, with manifest.json) or its postgres.dump
  --target URL the database to restore into (default: DATABASE_URL); created when missing.
               A database that holds tables is refused unless --force.
  --force      replace what the target database holds
  --redis      then empty the Redis vote store (REDIS_URL or REDIS_SENTINELS, REDIS_PREFIX,
               VOTE_PARTITIONS) and rebuild it from the restored database`;

const envSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  ...redisEnvShape,
  REDIS_PREFIX: z.string().max(64).default(''),
  VOTE_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
});

/** Exit code 0 restored, 1 failed, 2 refused (bad flags, bad file, non-empty target). */
export async function runRestoreCli(
  argv: string[],
  environment: NodeJS.ProcessEnv,
  out: (line: string) => void = (l) => console.log(l),
): Promise<number> {
  const fail = (msg: string, code = 2) => {
    console.error(`db:restore: ${msg}`);
    return code;
  };
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    return fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (args.values.help) {
    out(USAGE);
    return 0;
  }
  if (args.positionals.length !== 1) return fail(`give exactly one backup\n${USAGE}`);
  let env: z.infer<typeof envSchema>;
  try {
    env = parseEnv(envSchema, environment, 'db:restore');
  } catch (err) {
    return fail((err as Error).message);
  }
  const target = args.values.target ?? env.DATABASE_URL;
  if (!target) return fail('no target database: pass --target URL or set DATABASE_URL');
  if (!/^postgres(ql)?:\/\//.test(target)) return fail(`--target must be a postgres:// URL`);
  if (args.values.redis && !env.REDIS_URL && env.REDIS_SENTINELS.length === 0)
    return fail('--redis needs REDIS_URL or REDIS_SENTINELS');

  const file = await dumpPath(args.positionals[0]!);
  if (typeof file !== 'string') return fail(file.error);
  try {
    const result = await restoreDatabase({
      file,
      targetUrl: target,
      force: args.values.force,
      log: (m) => out(`db:restore: ${m}`),
    });
    const total = Object.values(result.rows).reduce((a, b) => a + b, 0);
    out(
      `db:restore: restored ${total} rows (${Object.entries(result.rows)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}) taken at ${result.header.takenAt} in ${result.durationMs} ms`,
    );
  } catch (err) {
    if (err instanceof RestoreRefused) return fail(err.message);
    throw err;
  }
  if (args.values.redis) await rebuildRedis(env, target, out);
  else out('db:restore: Redis untouched (pass --redis to rebuild it from the restored database)');
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      target: { type: 'string' },
      force: { type: 'boolean', default: false },
      redis: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

async function dumpPath(given: string): Promise<string | { error: string }> {
  const s = await stat(given).catch(() => null);
  if (!s) return { error: `${given}: no such file or folder` };
  if (!s.isDirectory()) return given;
  const inside = path.join(given, POSTGRES_DUMP);
  if (!(await stat(inside).catch(() => null)))
    return { error: `${given}: no ${POSTGRES_DUMP} in it` };
  return inside;
}

/**
 * Empties the vote store's keys of every partition (ballots, tallies, outboxes, ready markers)
 * and rebuilds them from the restored database: the worker's own rebuild path.
 */
async function rebuildRedis(
  env: z.infer<typeof envSchema>,
  databaseUrl: string,
  out: (line: string) => void,
): Promise<void> {
  const redis = createRedis(redisTargetOf(env), 'worker', {
    warn: (_obj, msg) => console.error(`db:restore: Redis: ${msg}`),
    info: () => {},
  });
  const db = createDb(databaseUrl, { max: 2, applicationName: 'llmpt-restore' });
  try {
    const store = new VoteStore(redis, {
      prefix: env.REDIS_PREFIX,
      partitions: env.VOTE_PARTITIONS,
    });
    let deleted = 0;
    for (let p = 0; p < store.partitions; p++) {
      const k = store.keysOf(p);
      // Ready marker first: votes on the partition are refused from here until it is rebuilt.
      await redis.del(k.ready);
      const tag = k.ready.slice(0, -':ready'.length).replace(/[*?[\]\\]/g, (c) => `\\${c}`);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${tag}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await redis.del(...keys);
      } while (cursor !== '0');
    }
    const result = await rebuildUnreadyPartitions(store, postgresRebuildSource(db));
    await ensureTallies(
      store,
      (await db.selectFrom('llms').select('id').execute()).map((r) => r.id),
    );
    out(
      `db:restore: Redis rebuilt (${deleted} keys removed; ${result.tallies} tallies, ${result.ballots} ballots, ${result.partitions.length} partitions)`,
    );
  } finally {
    await Promise.allSettled([redis.quit(), db.destroy()]);
  }
}
