import { type CastVoteResult, castVoteInputSchema } from '@llmpt/shared';

import { appError } from '../errors.ts';
import { publicProcedure, router } from '../trpc.ts';

export const voteRouter = router({
  /**
   * One ballot per voter per model: 1 up, -1 down, 0 retract. Acknowledged from Redis in one
   * Lua round trip (after one auto-pipelined round trip for the rate limits and session touch);
   * the worker flushes the event to Postgres.
   */
  cast: publicProcedure
    .input(castVoteInputSchema)
    .mutation(async ({ ctx, input }): Promise<CastVoteResult> => {
      const { deps } = ctx;
      const voter = ctx.voter();
      const { metrics } = deps;
      if (voter.status === 'forged') {
        metrics.votes.inc({ result: 'invalid_voter' });
        throw appError(
          'INVALID_VOTER',
          'Your voter cookie is invalid (altered, or signed by another deployment). A new one has been set: vote again.',
        );
      }
      if (!(await deps.catalogue.get(input.llmId))) {
        metrics.votes.inc({ result: 'unknown_model' });
        throw appError('UNKNOWN_MODEL', `No model with id "${input.llmId}"`);
      }
      const [verdict] = await Promise.all([
        deps.limiter.check(voter.id, ctx.ip),
        deps.sessions.touch(voter.id),
      ]);
      if (!verdict.allowed) {
        metrics.votes.inc({ result: 'rate_limited' });
        throw appError(
          'RATE_LIMITED',
          `Too many votes from this ${verdict.scope === 'ip' ? 'network' : 'browser'}: try again in ${verdict.retryAfterSec} s`,
          verdict.retryAfterSec,
        );
      }

      const stop = metrics.redisScript.startTimer({ script: 'cast-vote' });
      const outcome = await deps.voteStore.cast(voter.id, input.llmId, input.value);
      stop();
      if (outcome.status === 'not_ready') {
        metrics.votes.inc({ result: 'not_ready' });
        throw appError(
          'VOTES_NOT_READY',
          'Voting is starting up (restoring tallies): try again in a few seconds',
          2,
        );
      }
      if (outcome.status === 'unknown_model') {
        metrics.votes.inc({ result: 'unknown_model' });
        throw appError('UNKNOWN_MODEL', `No model with id "${input.llmId}"`);
      }
      metrics.votes.inc({ result: outcome.status });
      if (outcome.status === 'changed') deps.voteToDiff.voted(input.llmId);
      return {
        llmId: input.llmId,
        up: outcome.up,
        down: outcome.down,
        score: outcome.up - outcome.down,
        myVote: input.value,
      };
    }),

  /** The caller's current ballots (non-zero), keyed by model id. */
  mine: publicProcedure.query(({ ctx }) => ctx.deps.voteStore.ballotsOf(ctx.voter().id)),
});
