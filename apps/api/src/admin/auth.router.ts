import { findAdminByUsername, recordAdminSignIn, bumpAdminEpoch } from '@llmpt/db';
import { type AdminMe, adminSignInInputSchema } from '@llmpt/shared';
import { TRPCError } from '@trpc/server';

import type { Context } from '../context.ts';
import { adminProcedure, publicProcedure, router } from '../trpc.ts';
import { audit } from './audit.ts';
import { sameOrigin } from './csrf.ts';
import type { AdminPrincipal } from './guard.ts';
import { verifyPassword } from './password.ts';
import type { AdminSession } from './session.ts';

/** Sign-in and sign-out set and clear a cookie: over HTTP, from the site's own pages only. */
function requireHttpSameOrigin(ctx: Context): void {
  if (!ctx.adminCookie.writable) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Sign in and out over HTTP' });
  }
  // Login CSRF: another site must not sign a browser in (or out) under its own account.
  if (!sameOrigin(ctx.headers, ctx.deps.env.ALLOWED_ORIGINS)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Cross-site request refused' });
  }
}

function me(ctx: Context, username: string, session: AdminSession): AdminMe {
  const { env } = ctx.deps;
  return {
    username,
    csrfToken: session.csrfToken,
    idleTimeoutSec: env.ADMIN_SESSION_IDLE_MINUTES * 60,
    expiresAt: new Date(session.expiresAt).toISOString(),
    links: {
      grafana: env.GRAFANA_URL ?? null,
      prometheus: env.PROMETHEUS_URL ?? null,
      queues: '/admin/queues',
    },
  };
}

const WRONG = 'Wrong username or password';

export const adminAuthRouter = router({
  /**
   * Checks the password (argon2id; a dummy hash for unknown names, so timing names no account)
   * behind the lockout, then rotates the session: a session the browser still presented is
   * destroyed and a new token is issued. Every outcome is audited.
   */
  signIn: publicProcedure.input(adminSignInInputSchema).mutation(async ({ ctx, input }) => {
    requireHttpSameOrigin(ctx);
    const { deps } = ctx;
    const attempt = await deps.adminLockout.begin(input.username, ctx.ip);
    const account = await findAdminByUsername(deps.db, input.username.toLowerCase());
    const passwordOk = await verifyPassword(account?.passwordHash ?? null, input.password);
    if (!account || !passwordOk || account.disabledAt !== null) {
      const lockouts = await deps.adminLockout.failed(attempt);
      const actor = { id: null, name: input.username.slice(0, 64) };
      const reason = !account ? 'unknown_user' : !passwordOk ? 'wrong_password' : 'disabled';
      await audit(ctx, {
        action: 'admin.sign_in_failed',
        targetType: 'admin',
        targetId: account?.username ?? null,
        after: { reason },
        actor,
      });
      for (const l of lockouts) {
        await audit(ctx, {
          action: 'admin.lockout',
          targetType: l.scope,
          targetId: l.scope === 'account' ? (account?.username ?? input.username) : ctx.ip,
          after: { lockedForSec: l.sec },
          actor,
        });
      }
      throw new TRPCError({ code: 'UNAUTHORIZED', message: WRONG });
    }
    await deps.adminLockout.succeeded(attempt);

    const old = await deps.adminSessions.read(ctx.adminCookie.sent || undefined);
    if (old) await deps.adminSessions.destroy(old.id, old.adminId);
    const { token, session } = await deps.adminSessions.create({
      adminId: account.id,
      username: account.username,
      epoch: account.sessionEpoch,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
    });
    ctx.adminCookie.set(token, Math.ceil(deps.adminSessions.timeouts.maxMs / 1000));
    await recordAdminSignIn(deps.db, account.id);
    await audit(ctx, {
      action: 'admin.sign_in',
      targetType: 'admin',
      targetId: account.username,
      after: { session: session.id.slice(0, 12), rotated: old !== null },
      actor: { id: account.id, name: account.username },
    });
    return me(ctx, account.username, session);
  }),

  /** Ends this browser's session, if any, and clears the cookie. */
  signOut: publicProcedure.mutation(async ({ ctx }) => {
    requireHttpSameOrigin(ctx);
    const { adminSessions } = ctx.deps;
    const session = await adminSessions.read(ctx.adminCookie.sent || undefined);
    ctx.adminCookie.clear();
    if (session) {
      await adminSessions.destroy(session.id, session.adminId);
      await audit(ctx, {
        action: 'admin.sign_out',
        targetType: 'admin',
        targetId: session.username,
        actor: { id: session.adminId, name: session.username },
      });
    }
    return { ok: true as const };
  }),

  /** Bumps the account's epoch (every session dies at its next request) and deletes them all. */
  signOutEverywhere: adminProcedure.mutation(async ({ ctx }) => {
    const admin: AdminPrincipal = ctx.admin;
    await bumpAdminEpoch(ctx.deps.db, admin.id);
    const ended = await ctx.deps.adminSessions.destroyAll(admin.id);
    ctx.adminCookie.clear();
    await audit(ctx, {
      action: 'admin.sign_out_everywhere',
      targetType: 'admin',
      targetId: admin.username,
      after: { sessionsEnded: ended },
    });
    return { ok: true as const };
  }),

  me: adminProcedure.query(({ ctx }): AdminMe => me(ctx, ctx.admin.username, ctx.admin.session)),
});
