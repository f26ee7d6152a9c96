import { type Kysely, sql } from 'kysely';

import type { Database } from '../schema/index.ts';

/** An admin account as the api and the CLI see it (the hash only where a password is checked). */
export interface AdminAccount {
  id: number;
  username: string;
  passwordHash: string;
  disabledAt: Date | null;
  /** Sessions made at another epoch are dead (see setAdminPassword, disableAdmin, bumpAdminEpoch). */
  sessionEpoch: number;
  lastSignInAt: Date | null;
  createdAt: Date;
}

/** What an audit entry may show of an account: never the hash. */
export type AdminAccountView = Omit<AdminAccount, 'passwordHash'>;

export function adminAccountView(a: AdminAccount): AdminAccountView {
  return {
    id: a.id,
    username: a.username,
    disabledAt: a.disabledAt,
    sessionEpoch: a.sessionEpoch,
    lastSignInAt: a.lastSignInAt,
    createdAt: a.createdAt,
  };
}

/** Raised by createAdmin when the username is taken (unique violation, 23505). */
export class AdminExistsError extends Error {
  readonly username: string;

  constructor(username: string) {
    super(`admin "${username}" already exists`);
    this.name = 'AdminExistsError';
    this.username = username;
  }
}

const COLUMNS = [
  'id',
  'username',
  'password_hash',
  'disabled_at',
  'session_epoch',
  'last_sign_in_at',
  'created_at',
] as const;

type Row = {
  id: number;
  username: string;
  password_hash: string;
  disabled_at: Date | null;
  session_epoch: number;
  last_sign_in_at: Date | null;
  created_at: Date;
};

function toAccount(r: Row): AdminAccount {
  return {
    id: r.id,
    username: r.username,
    passwordHash: r.password_hash,
    disabledAt: r.disabled_at,
    sessionEpoch: r.session_epoch,
    lastSignInAt: r.last_sign_in_at,
    createdAt: r.created_at,
  };
}

/**
 * A new, enabled account. The hash must be an argon2id PHC string (the table checks it).
 * @throws AdminExistsError when the username is taken (also under a concurrent create).
 */
export async function createAdmin(
  db: Kysely<Database>,
  username: string,
  passwordHash: string,
): Promise<AdminAccount> {
  try {
    const row = await db
      .insertInto('admin_users')
      .values({ username, password_hash: passwordHash })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    return toAccount(row);
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new AdminExistsError(username);
    throw err;
  }
}

export async function findAdminByUsername(
  db: Kysely<Database>,
  username: string,
): Promise<AdminAccount | null> {
  const row = await db
    .selectFrom('admin_users')
    .select(COLUMNS)
    .where('username', '=', username)
    .executeTakeFirst();
  return row ? toAccount(row) : null;
}

/** What a session check reads on every admin request: one primary-key lookup. */
export async function findAdminById(
  db: Kysely<Database>,
  id: number,
): Promise<AdminAccount | null> {
  const row = await db
    .selectFrom('admin_users')
    .select(COLUMNS)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toAccount(row) : null;
}

/** New password; bumps the epoch, so every session made with the old one ends. Null: no such id. */
export async function setAdminPassword(
  db: Kysely<Database>,
  id: number,
  passwordHash: string,
): Promise<AdminAccount | null> {
  const row = await db
    .updateTable('admin_users')
    .set({ password_hash: passwordHash, session_epoch: sql`session_epoch + 1` })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirst();
  return row ? toAccount(row) : null;
}

/**
 * Disables the account (kept for the audit log's sake) and bumps the epoch. Disabling a disabled
 * account keeps its first `disabled_at`. Null: no such id.
 */
export async function disableAdmin(db: Kysely<Database>, id: number): Promise<AdminAccount | null> {
  const row = await db
    .updateTable('admin_users')
    .set({
      disabled_at: sql`coalesce(disabled_at, now())`,
      session_epoch: sql`session_epoch + 1`,
    })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirst();
  return row ? toAccount(row) : null;
}

/** "Sign out everywhere": every session of the account ends at its next request. */
export async function bumpAdminEpoch(db: Kysely<Database>, id: number): Promise<number | null> {
  const row = await db
    .updateTable('admin_users')
    .set({ session_epoch: sql`session_epoch + 1` })
    .where('id', '=', id)
    .returning('session_epoch')
    .executeTakeFirst();
  return row ? row.session_epoch : null;
}

export async function recordAdminSignIn(db: Kysely<Database>, id: number): Promise<void> {
  await db
    .updateTable('admin_users')
    .set({ last_sign_in_at: sql`now()` })
    .where('id', '=', id)
    .execute();
}
