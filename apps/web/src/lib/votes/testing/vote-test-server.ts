import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  type CastVoteResult,
  type MyVotes,
  type VoteClientSignals,
  type VoteStatus,
  type VoteValue,
  castVoteInputSchema,
} from '@llmpt/shared';
import { TRPCError, initTRPC } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';

/** How the next `vote.cast` calls are answered. */
export type CastBehaviour =
  | { kind: 'ok' }
  | { kind: 'rate-limited'; retryAfterSec: number }
  | { kind: 'unknown-model' }
  | { kind: 'banned' };

class TestAppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfterSec?: number,
  ) {
    super(message);
  }
}

/**
 * A real tRPC server (stock standalone adapter) with the api's voting procedures and its error
 * shape (`appCode`, `retryAfterSec`, see apps/api/src/trpc.ts), over an in-memory tally for ONE
 * voter. It stands in for the api, not for Redis: the voting client is under test. Casts can be
 * held (`hold()`) to look at the optimistic state before the answer.
 */
export async function startVoteTestServer(initial: Record<string, { up: number; down: number }>) {
  const tallies = new Map(Object.entries(initial).map(([id, t]) => [id, { ...t }]));
  const ballots = new Map<string, VoteValue>();
  const statuses = new Map<string, VoteStatus>();
  let behaviour: CastBehaviour = { kind: 'ok' };
  let held: Array<() => void> | null = null;
  const casts: Array<{ llmId: string; value: VoteValue; client?: VoteClientSignals }> = [];

  const t = initTRPC.create({
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      return {
        ...shape,
        data: {
          ...shape.data,
          zodError: null,
          appCode: cause instanceof TestAppError ? cause.code : null,
          retryAfterSec: cause instanceof TestAppError ? (cause.retryAfterSec ?? null) : null,
        },
      };
    },
  });
  const router = t.router({
    vote: t.router({
      cast: t.procedure
        .input(castVoteInputSchema)
        .mutation(async ({ input }): Promise<CastVoteResult> => {
          if (held) await new Promise<void>((resolve) => held?.push(resolve));
          casts.push(input);
          if (behaviour.kind === 'rate-limited') {
            const message = `Too many votes from this browser: try again in ${behaviour.retryAfterSec} s`;
            throw new TRPCError({
              code: 'TOO_MANY_REQUESTS',
              message,
              cause: new TestAppError('RATE_LIMITED', message, behaviour.retryAfterSec),
            });
          }
          if (behaviour.kind === 'banned') {
            const message = 'Voting from this browser is blocked for a while after a review';
            throw new TRPCError({
              code: 'FORBIDDEN',
              message,
              cause: new TestAppError('VOTER_BANNED', message),
            });
          }
          if ((statuses.get(input.llmId) ?? 'counted') !== 'counted') {
            const message =
              'Your vote on this model was removed by our integrity checks and is under review: it cannot be changed until the review ends';
            throw new TRPCError({
              code: 'CONFLICT',
              message,
              cause: new TestAppError('VOTE_UNDER_REVIEW', message),
            });
          }
          const tally = tallies.get(input.llmId);
          if (!tally || behaviour.kind === 'unknown-model') {
            const message = `No model with id "${input.llmId}"`;
            throw new TRPCError({
              code: 'NOT_FOUND',
              message,
              cause: new TestAppError('UNKNOWN_MODEL', message),
            });
          }
          const prev = ballots.get(input.llmId) ?? 0;
          if (prev === 1) tally.up -= 1;
          if (prev === -1) tally.down -= 1;
          if (input.value === 1) tally.up += 1;
          if (input.value === -1) tally.down += 1;
          ballots.set(input.llmId, input.value);
          return {
            llmId: input.llmId,
            up: tally.up,
            down: tally.down,
            score: tally.up - tally.down,
            myVote: input.value,
          };
        }),
      mine: t.procedure.query(() => {
        const out: MyVotes = {};
        for (const [id, v] of ballots) {
          if (v !== 0) out[id] = { value: v, status: statuses.get(id) ?? 'counted' };
        }
        return out;
      }),
    }),
  });

  const handler = createHTTPHandler({ router, basePath: '/trpc/' });
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    router,
    url: `http://127.0.0.1:${port}/trpc`,
    casts,
    tally: (id: string) => tallies.get(id),
    ballot: (id: string) => ballots.get(id) ?? 0,
    /** Other voters' votes: the tally moves by `up` and `down`, no ballot of this voter does. */
    othersVote(id: string, up: number, down = 0): void {
      const tally = tallies.get(id);
      if (tally) Object.assign(tally, { up: tally.up + up, down: tally.down + down });
    },
    /** Sets a ballot as if cast in another tab (what `vote.mine` will say). */
    setBallot: (id: string, value: VoteValue) => ballots.set(id, value),
    /**
     * The integrity checks took the ballot out ('under_review', 'removed') or put it back
     * ('counted'): what `vote.mine` says, and casts on the model are refused (409) meanwhile.
     */
    setStatus: (id: string, status: VoteStatus) => statuses.set(id, status),
    answer(next: CastBehaviour): void {
      behaviour = next;
    },
    /** Holds casts until `release()`. */
    hold(): void {
      held ??= [];
    },
    release(): void {
      const waiting = held ?? [];
      held = null;
      for (const resolve of waiting) resolve();
    },
    async close(): Promise<void> {
      this.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type VoteTestServer = Awaited<ReturnType<typeof startVoteTestServer>>;
export type VoteTestRouter = VoteTestServer['router'];
