import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** Admin accounts (issue 12); passwords as argon2id PHC strings, never in the clear. */
export interface AdminUsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  disabled_at: Date | null;
  /** Sessions carry the epoch they were made at; bumping it ends them all. */
  session_epoch: Generated<number>;
  last_sign_in_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Every admin action, append-only (a trigger refuses UPDATE, DELETE and TRUNCATE). */
export interface AdminAuditLogTable {
  id: Generated<string>;
  at: Generated<Date>;
  actor_id: number | null;
  actor: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: ColumnType<unknown, string | null | undefined, never>;
  after: ColumnType<unknown, string | null | undefined, never>;
  ip: string | null;
  user_agent: string | null;
}

export interface FeatureFlagsTable {
  key: string;
  description: string;
  enabled: Generated<boolean>;
  rollout_percent: Generated<number>;
  experiment: Generated<boolean>;
  updated_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type AdminUserRow = Selectable<AdminUsersTable>;
export type NewAdminUserRow = Insertable<AdminUsersTable>;
export type AdminAuditRow = Selectable<AdminAuditLogTable>;
export type FeatureFlagRow = Selectable<FeatureFlagsTable>;
