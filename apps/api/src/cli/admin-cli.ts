import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  AdminExistsError,
  type Database,
  type Kysely,
  adminAccountView,
  createAdmin,
  createDb,
  disableAdmin,
  findAdminByUsername,
  recordAudit,
  setAdminPassword,
} from '@llmpt/db';
import { adminPasswordSchema, adminUsernameSchema, parseEnv, redisEnvShape } from '@llmpt/shared';
import { createRedis, redisTargetOf } from '@llmpt/vote-store';
import { z } from 'zod';

import { hashPassword } from '../admin/password.ts';
import { destroyAdminSessions } from '../admin/session.ts';
import { readPassword } from './password-input.ts';

const USAGE = `usage: npm run admin:create -- --user NAME   (the password from stdin, or prompted twice)
       npm run admin:passwd -- --user NAME   (a new password the same way; ends its sessions)
       npm run admin:disable -- --user NAME  (the account can no longer sign in; ends its sessions)

Database: DATABASE_URL, or else the embedded Postgres of \`npm start\` (DATA_DIR, default .data).
Sessions (disable): REDIS_URL or REDIS_SENTINELS with REDIS_PREFIX, or else npm start's Redis.`;

const envSchema = z.object({
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' })
    .optional(),
  ...redisEnvShape,
  REDIS_PREFIX: z.string().max(64).default(''),
  DATA_DIR: z.string().optional(),
});
type CliEnv = z.infer<typeof envSchema>;

/** `npm start`'s usual Redis port (scripts/start.ts), tried for `disable` without REDIS_URL. */
const NPM_START_REDIS = 'redis://127.0.0.1:63790';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** The password: one line of a non-TTY stdin, or asked twice without echo on a terminal. */
  password(confirm: boolean): Promise<string>;
}

const defaultIo: CliIo = {
  out: (l) => console.log(l),
  err: (l) => console.error(l),
  password: (confirm) => readPassword(process.stdin, process.stderr, confirm),
};

/** Refused input: one clear line, exit 2, nothing changed. */
class Refused extends Error {}

/** Exit code 0 done, 1 failed (database unreachable, …), 2 refused (bad flags or input). */
export async function runAdminCli(
  argv: string[],
  environment: NodeJS.ProcessEnv,
  io: CliIo = defaultIo,
): Promise<number> {
  let db: { db: Kysely<Database>; close(): Promise<void> } | undefined;
  try {
    const { action, username } = parse(argv);
    const env = (() => {
      try {
        return parseEnv(envSchema, environment, 'admin');
      } catch (err) {
        throw new Refused((err as Error).message);
      }
    })();
    const password = action === 'disable' ? null : await askPassword(io, action === 'create');
    db = await openDatabase(env, io);
    const actor = `cli:${os.userInfo().username}`;
    const audit = (
      trx: Kysely<Database>,
      a: string,
      target: string,
      before: unknown,
      after: unknown,
    ) =>
      recordAudit(trx, {
        actorId: null,
        actor,
        action: a,
        targetType: 'admin',
        targetId: target,
        before,
        after,
        userAgent: 'llmpt admin cli',
      });

    if (action === 'create') {
      const hash = await hashPassword(password!);
      await db.db.transaction().execute(async (trx) => {
        const created = await createAdmin(trx, username, hash).catch((err: unknown) => {
          throw err instanceof AdminExistsError ? new Refused(err.message) : err;
        });
        await audit(trx, 'admin.create', username, null, adminAccountView(created));
      });
      io.out(`admin: created "${username}"`);
      return 0;
    }

    const existing = await findAdminByUsername(db.db, username);
    if (!existing) throw new Refused(`no admin named "${username}"`);
    if (action === 'passwd') {
      const hash = await hashPassword(password!);
      await db.db.transaction().execute(async (trx) => {
        const after = await setAdminPassword(trx, existing.id, hash);
        await audit(
          trx,
          'admin.password',
          username,
          adminAccountView(existing),
          after && adminAccountView(after),
        );
      });
      io.out(`admin: new password for "${username}"; its sessions have ended`);
      return 0;
    }

    await db.db.transaction().execute(async (trx) => {
      const after = await disableAdmin(trx, existing.id);
      await audit(
        trx,
        'admin.disable',
        username,
        adminAccountView(existing),
        after && adminAccountView(after),
      );
    });
    const ended = await endSessions(env, existing.id);
    io.out(
      `admin: disabled "${username}"; ${
        ended === null
          ? 'Redis not reachable: its sessions end at their next request (epoch bumped)'
          : `${ended} live session(s) deleted`
      }`,
    );
    return 0;
  } catch (err) {
    if (err instanceof Refused) {
      io.err(`admin: ${err.message}`);
      return 2;
    }
    io.err(`admin: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await db?.close();
  }
}

function parse(argv: string[]): { action: 'create' | 'passwd' | 'disable'; username: string } {
  let parsed: ReturnType<
    typeof parseArgs<{ options: { user: { type: 'string' } }; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({
      args: argv,
      options: { user: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new Refused(`${(err as Error).message}\n${USAGE}`);
  }
  const [action, ...rest] = parsed.positionals;
  if (action !== 'create' && action !== 'passwd' && action !== 'disable') {
    throw new Refused(
      `unknown action ${action === undefined ? '(none)' : `"${action}"`}\n${USAGE}`,
    );
  }
  if (rest.length > 0) throw new Refused(`unexpected argument "${rest[0]}"\n${USAGE}`);
  if (parsed.values.user === undefined) throw new Refused(`--user NAME is required\n${USAGE}`);
  const username = adminUsernameSchema.safeParse(parsed.values.user);
  if (!username.success) {
    throw new Refused(`--user ${username.error.issues[0]?.message ?? 'is not a valid username'}`);
  }
  return { action, username: username.data };
}

async function askPassword(io: CliIo, confirm: boolean): Promise<string> {
  const raw = await io.password(confirm).catch((err: unknown) => {
    throw new Refused(err instanceof Error ? err.message : String(err));
  });
  const password = adminPasswordSchema.safeParse(raw);
  if (!password.success) {
    throw new Refused(`the password ${password.error.issues[0]?.message ?? 'is not valid'}`);
  }
  return password.data;
}

/**
 * DATABASE_URL, else the embedded Postgres `npm start` keeps under DATA_DIR: the running one,
 * or started for this command and stopped after it.
 */
async function openDatabase(
  env: CliEnv,
  io: CliIo,
): Promise<{ db: Kysely<Database>; close(): Promise<void> }> {
  if (env.DATABASE_URL) {
    const db = createDb(env.DATABASE_URL, { max: 2, applicationName: 'llmpt-admin-cli' });
    return { db, close: () => db.destroy() };
  }
  // Development tooling, loaded only on this path (a deployment sets DATABASE_URL).
  const devstack = await import('@llmpt/devstack');
  const { repoRoot } = await import('@llmpt/stack');
  const dir = path.join(path.resolve(repoRoot, env.DATA_DIR || '.data'), 'postgres');
  let server = await devstack.runningEmbeddedPostgres(dir);
  let stop = async () => {};
  if (!server) {
    const { existsSync } = await import('node:fs');
    if (!existsSync(path.join(dir, 'PG_VERSION'))) {
      throw new Error(
        `DATABASE_URL is not set and ${dir} holds no database: run npm start once, or set DATABASE_URL`,
      );
    }
    io.err(`admin: starting the embedded Postgres in ${dir} for this command`);
    const pg = await devstack.startEmbeddedPostgres({
      dataDir: dir,
      port: await devstack.freePort(),
      persistent: true,
    });
    server = pg.url;
    stop = () => pg.stop();
  }
  const db = createDb(devstack.databaseUrl(server, 'llmpt'), {
    max: 2,
    applicationName: 'llmpt-admin-cli',
  });
  return {
    db,
    close: async () => {
      await db.destroy();
      await stop();
    },
  };
}

/** Deletes the account's sessions; null when no Redis answers (the epoch bump still ends them). */
async function endSessions(env: CliEnv, adminId: number): Promise<number | null> {
  const target =
    env.REDIS_URL || env.REDIS_SENTINELS.length > 0
      ? redisTargetOf(env)
      : env.DATABASE_URL
        ? null
        : NPM_START_REDIS;
  if (target === null) return null;
  const redis = createRedis(target, 'app', { warn: () => {}, info: () => {} });
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000).unref()),
    ]);
    return await destroyAdminSessions(redis, env.REDIS_PREFIX, adminId);
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}
