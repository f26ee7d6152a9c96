import { router } from '../trpc.ts';
import { adminRouter } from './admin.router.ts';
import { flagsRouter } from './flags.router.ts';
import { integrityRouter } from './integrity.router.ts';
import { llmRouter } from './llm.router.ts';
import { rankingsRouter } from './rankings.router.ts';
import { telemetryRouter } from './telemetry.router.ts';
import { voteRouter } from './vote.router.ts';

export const appRouter = router({
  llm: llmRouter,
  vote: voteRouter,
  rankings: rankingsRouter,
  telemetry: telemetryRouter,
  flags: flagsRouter,
  integrity: integrityRouter,
  admin: adminRouter,
});

/** The API's type, for clients: `import type { AppRouter } from '@llmpt/api/router'`. */
export type AppRouter = typeof appRouter;
