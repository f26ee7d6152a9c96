import type { ConfigKind } from '@llmpt/vote-store';
import { TRPCError } from '@trpc/server';

import type { Deps } from '../context.ts';

/**
 * After an admin change has committed in Postgres: `prepare` (what Redis must hold first), then
 * `config.bump(kind)`, which every api process and the worker hear within milliseconds. Should
 * Redis fail here the change stays committed, and the admin is told so (503): every process's
 * safety-net reload (60 s) picks it up.
 */
export async function announceChange(
  deps: Deps,
  kind: ConfigKind,
  subject: string,
  prepare?: () => Promise<void>,
): Promise<void> {
  try {
    await prepare?.();
    await deps.config.bump(kind);
  } catch (err) {
    deps.log.error({ err, kind, subject }, 'admin change committed but not announced');
    throw new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: `Saved, but not announced to the other processes yet (Redis): "${subject}" takes effect everywhere within a minute`,
    });
  }
}
