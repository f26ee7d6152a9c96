import {
  type CastVoteInput,
  type CastVoteResult,
  type FlagStatus,
  type MyVotes,
  type VoteStatus,
  castVoteInputSchema,
} from '@llmpt/shared';
import type { OwnBallot } from '@llmpt/vote-store';

import type { Context, Deps } from '../context.ts';
import { appError } from '../errors.ts';
import { voteSignals } from '../services/vote-signals.ts';
import { SESSION_TTL_SEC } from '../services/voter-sessions.ts';
import { publicProcedure, router } from '../trpc.ts';

/** The window of the per-(network, model) limit on new ballots. */
const NETWORK_WINDOW_SEC = 3600;

export const voteRouter = router({
  /**
   * One ballot per voter per model: 1 up, -1 down, 0 retract. Acknowledged from Redis in one
   * Redis call (cast-vote-7.lua: bans, rate limits, ballot, tally, outbox event, session); the
   * worker flushes the event to Postgres. A voter's session is written only once a vote of theirs is
   * accepted: refused calls leave nothing behind in Redis (which runs with noeviction).
   */
  cast: publicProcedure
    .input(castVoteInputSchema)
    .mutation(({ ctx, input }) => castVote(ctx, input)),

  /**
   * The caller's current ballots (non-zero), keyed by model id, each with whether it counts:
   * a ballot an integrity flag voided is 'removed' once an admin confirmed the flag, else
   * 'under_review'. One pipeline for the ballots, plus one HMGET of the flags' statuses only
   * when something is voided. A new visitor gets none, and their voter cookie (nothing is
   * written server-side); a forged cookie is removed.
   */
  mine: publicProcedure.query(async ({ ctx }): Promise<MyVotes> => {
    const voter = ctx.voter();
    if (voter.status === 'forged') ctx.dropVoterCookie();
    if (voter.status !== 'returning') return {};
    const own = await ctx.deps.voteStore.ownBallotsOf(voter.id);
    const flagIds = new Set<string>();
    for (const b of Object.values(own)) if (b.voidedBy) flagIds.add(b.voidedBy);
    const statuses = await ctx.deps.integrity.statuses([...flagIds]);
    return myVotes(own, statuses);
  }),
});

/** What the vote needs of its caller: a tRPC context, or the early vote route's (http/vote-fast.ts). */
export type VoteCaller = Pick<Context, 'deps' | 'voter' | 'dropVoterCookie' | 'ip' | 'userAgent'>;

/**
 * `vote.cast` itself, after its input is validated: the ONE definition, run by the tRPC
 * procedure and by the early vote route that answers a plain POST before fastify
 * (http/vote-fast.ts). Throws the procedure's errors (TRPCError with an AppError cause).
 */
export async function castVote(ctx: VoteCaller, input: CastVoteInput): Promise<CastVoteResult> {
  const { deps } = ctx;
  const voter = ctx.voter();
  const { metrics } = deps;
  if (voter.status === 'forged') {
    metrics.votes.inc({ result: 'invalid_voter' });
    ctx.dropVoterCookie();
    throw appError(
      'INVALID_VOTER',
      'Your voter cookie is invalid (altered, or signed by another deployment) and has been removed: vote again.',
    );
  }
  if (!(await deps.catalogue.get(input.llmId))) {
    metrics.votes.inc({ result: 'unknown_model' });
    throw appError('UNKNOWN_MODEL', `No model with id "${input.llmId}"`);
  }
  if (voter.status === 'new' && input.value === 0) {
    // Retracting without a cookie: there is no ballot to retract. Answered from the tally
    // without writing anything (no limit counter, no session).
    const tallies = await redisStep(deps, () => deps.voteStore.tallies([input.llmId]));
    const tally = tallies.get(input.llmId);
    metrics.votes.inc({ result: 'unchanged' });
    const up = tally?.up ?? 0;
    const down = tally?.down ?? 0;
    return { llmId: input.llmId, up, down, score: up - down, myVote: 0 };
  }
  const networkHash = deps.networkHash(ctx.ip);
  const cookieless = voter.status === 'new';
  const hint = deps.sessions.hint(voter.id);
  const signals = voteSignals(deps.signalHash, {
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    networkHash,
    newVoter: cookieless,
    client: input.client,
  });
  // ONE call: bans, rate limits, the ballot, its outbox event and the voter's session, in
  // the vote script (cast-vote-7.lua). Whether the voter is new (no session yet: they spend
  // their network's budget of new voters) is decided there too.
  const started = performance.now();
  const outcome = await redisStep(deps, () =>
    deps.voteStore.cast(
      voter.id,
      input.llmId,
      input.value,
      {
        networkHash,
        max: deps.env.VOTE_BALLOTS_PER_NETWORK_MODEL_HOUR,
        windowSec: NETWORK_WINDOW_SEC,
      },
      signals,
      {
        ip: ctx.ip,
        cookieless,
        knownVoter: hint.knownVoter,
        perVoterPerMin: deps.env.VOTE_RATE_LIMIT,
        perIpPerMin: deps.env.VOTE_RATE_LIMIT_IP,
        newVotersPerNetworkHour: deps.env.VOTE_NEW_VOTERS_PER_NETWORK_HOUR,
        session: {
          refresh: hint.refresh,
          ipHash: signals.ip,
          uaHash: signals.ua,
          ttlSec: SESSION_TTL_SEC,
        },
      },
    ),
  );
  metrics.series.castVoteScript.observe((performance.now() - started) / 1000);
  if (outcome.status === 'banned') {
    metrics.votes.inc({ result: 'banned' });
    throw appError(
      'VOTER_BANNED',
      `Votes from ${outcome.scope === 'voter' ? 'this browser' : 'your network'} are suspended ${formatBan(outcome.leftMs)}: our integrity review found votes from it that broke the rules`,
    );
  }
  if (outcome.status === 'rate_limited') {
    metrics.votes.inc({ result: 'rate_limited' });
    const wait = outcome.retryAfterSec;
    throw appError(
      'RATE_LIMITED',
      outcome.scope === 'new_voters'
        ? `Too many new voters from your network this hour: try again in ${formatWait(wait)}`
        : `Too many votes from this ${outcome.scope === 'ip' ? 'network' : 'browser'}: try again in ${formatWait(wait)}`,
      wait,
    );
  }
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
  if (outcome.status === 'network_limited') {
    metrics.votes.inc({ result: 'network_limited' });
    throw appError(
      'RATE_LIMITED',
      `Many votes for this model came from your network in the last hour: try again in ${formatWait(outcome.retryAfterSec)}`,
      outcome.retryAfterSec,
    );
  }
  if (outcome.status === 'voided') {
    metrics.votes.inc({ result: 'voided' });
    // Rare path: one HMGET to tell "under review" from "removed" (as vote.mine does).
    const flagStatus = (
      await deps.integrity.statuses([outcome.flagId]).catch(() => new Map<string, FlagStatus>())
    ).get(outcome.flagId);
    throw appError(
      'VOTE_UNDER_REVIEW',
      flagStatus === 'confirmed'
        ? 'Your vote on this model was removed after an integrity review: it can no longer be changed'
        : 'Your vote on this model is set aside while our integrity checks review it: it cannot be changed until the review ends',
    );
  }
  if (deps.replicaAcks) {
    // The ballot is on the primary; it is acknowledged only once a replica has it too, so
    // a failover right after this answer cannot lose it. (Also for 'unchanged': a retry of a
    // vote that was not confirmed must wait for the same write.)
    const stopWait = metrics.redisScript.startTimer({ script: 'wait-replica' });
    const confirmation = await deps.replicaAcks.confirm();
    stopWait();
    if (confirmation === 'no_replica') metrics.votesWithoutReplica.inc();
    const refuse =
      confirmation === 'unconfirmed' ||
      (confirmation === 'no_replica' && deps.replicaAcks.opts.degraded === 'refuse');
    if (refuse) {
      metrics.votes.inc({ result: 'unreplicated' });
      throw appError(
        'VOTES_NOT_READY',
        'Your vote reached the server but could not be confirmed yet: send it again',
        1,
      );
    }
  }
  metrics.series.votes(outcome.status).inc();
  // The script opened the session (a new voter's accepted ballot) or refreshed it (due).
  if ((outcome.status === 'changed' || !outcome.newVoter) && (hint.refresh || outcome.newVoter)) {
    deps.sessions.remember(voter.id);
  }
  if (outcome.status === 'changed') deps.voteToDiff.voted(input.llmId);
  // Experiments' outcome: a ballot cast (not a retraction), in the voter's arm of each flag
  // with an experiment on; synchronous and unawaited (a hash per experiment flag, none usually).
  if (outcome.status === 'changed' && input.value !== 0) deps.flags.recordVote(voter.id);
  return {
    llmId: input.llmId,
    up: outcome.up,
    down: outcome.down,
    score: outcome.up - outcome.down,
    myVote: input.value,
  };
}

/**
 * A step of the vote that needs Redis. Redis failing (a failover under way, a restart, a stall)
 * is answered 503 with Retry-After, not 500: the client's retry is safe whatever happened to
 * this attempt, since a ballot is idempotent (the same vote again changes nothing).
 */
async function redisStep<T>(deps: Deps, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    deps.metrics.votes.inc({ result: 'error' });
    deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'vote: Redis failed');
    throw appError(
      'VOTES_NOT_READY',
      'Voting is briefly unavailable: send your vote again in a moment',
      1,
    );
  }
}

/**
 * What a voter is told of each ballot: voided by a confirmed flag is 'removed'; voided by a flag
 * in any other state (voiding, open, restoring, or not known here yet) is 'under_review', the
 * cautious answer (it may still come back).
 */
function myVotes(own: Record<string, OwnBallot>, statuses: Map<string, FlagStatus>): MyVotes {
  const out: MyVotes = {};
  for (const [llmId, b] of Object.entries(own)) {
    const status: VoteStatus = !b.voidedBy
      ? 'counted'
      : statuses.get(b.voidedBy) === 'confirmed'
        ? 'removed'
        : 'under_review';
    out[llmId] = { value: b.value, status };
  }
  return out;
}

/** "for about 3 hours", "for about 2 days", "for a while" (unknown). */
function formatBan(ms: number | null): string {
  if (ms === null) return 'for a while';
  const hours = ms / 3_600_000;
  if (hours < 1) return `for about ${Math.max(1, Math.round(ms / 60_000))} min`;
  if (hours < 48) return `for about ${Math.round(hours)} hour${Math.round(hours) === 1 ? '' : 's'}`;
  return `for about ${Math.round(hours / 24)} days`;
}

/** "42 s", "17 min". */
function formatWait(sec: number): string {
  return sec < 120 ? `${sec} s` : `${Math.ceil(sec / 60)} min`;
}
