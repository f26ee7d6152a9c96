import { wilsonLowerBound } from '@llmpt/shared';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, getRouteApi } from '@tanstack/react-router';
import { useCallback, useEffect, useMemo, useState } from 'react';

import { ApprovalInterval } from '../components/approval-interval.tsx';
import { BadgeSnippet } from '../components/badge-snippet.tsx';
import { rankRangeText } from '../components/rank-marks.tsx';
import { HistoryChart } from '../components/history-chart.tsx';
import { OwnVoteStatus, RemovedMark } from '../components/integrity-marks.tsx';
import { StatusMessage } from '../components/status-message.tsx';
import { VoteAlert } from '../components/vote-alert.tsx';
import { VoteButtons } from '../components/vote-buttons.tsx';
import { VoteConfirmation } from '../components/vote-confirmation.tsx';
import type { Ballot } from '../lib/ballot.ts';
import { errorMessage, isClientFault } from '../lib/errors.ts';
import { useHiddenResults } from '../lib/flags/use-hidden-results.ts';
import {
  categoryLabel,
  formatContext,
  formatCount,
  formatDate,
  formatParameters,
  formatWilson,
} from '../lib/format.ts';
import {
  chartSeries,
  defaultWindow,
  describeHistory,
  pointsWithin,
  releaseInRange,
  releaseSeconds,
} from '../lib/history-chart-data.ts';
import type { ModelStanding } from '../lib/live/live-model.ts';
import { useLiveModel } from '../lib/live/use-live-model.ts';
import { usePageTitle } from '../lib/page-title.ts';
import {
  type LlmDetails,
  flagProvider,
  liveModelDeps,
  revealed,
  trpc,
  votes,
} from '../lib/trpc.ts';
import { useVoteState } from '../lib/votes/use-votes.ts';
import { ownVoteStatus, removedOf } from '../lib/integrity.ts';
import { useIntegritySummary } from '../lib/use-integrity-summary.ts';
import { ballotOf, displayTally, statusOf } from '../lib/votes/vote-controller.ts';

const route = getRouteApi('/models/$id');

/** Chart periods a voter can pick, in days; the history is read once for the longest. */
const WINDOWS = [1, 7, 30, 90] as const;
type Window = (typeof WINDOWS)[number];
const WINDOW_LABEL: Record<Window, string> = {
  1: '24 hours',
  7: '7 days',
  30: '30 days',
  90: '90 days',
};

/** `/models/:id`: details, live tally and rank, voting, and the score and rank history. */
export function ModelPage() {
  const { id } = route.useParams();
  const details = useQuery(trpc.llm.byId.queryOptions({ id }));
  usePageTitle(details.data?.name ?? (details.isError ? 'Model not found' : null));

  if (details.isPending) return <ModelSkeleton />;
  if (details.isError) {
    // A malformed id (400) is as unknown as a well-formed one nobody has (404).
    if (isClientFault(details.error)) {
      return (
        <div className="page-heading notice-page">
          <h1 tabIndex={-1}>Model not found</h1>
          <p className="muted">There is no model “{id}” on the leaderboard.</p>
          <Link to="/" className="button">
            Back to the leaderboard
          </Link>
        </div>
      );
    }
    return (
      <StatusMessage
        tone="error"
        title="Can’t load this model."
        action={
          <button type="button" className="button" onClick={() => void details.refetch()}>
            Retry
          </button>
        }
      >
        {errorMessage(details.error)}
      </StatusMessage>
    );
  }
  return <ModelDetails llm={details.data} fetchedAt={details.dataUpdatedAt} />;
}

function ModelDetails({ llm, fetchedAt }: { llm: LlmDetails; fetchedAt: number }) {
  const queryClient = useQueryClient();
  // An admin renamed, edited or retired a model: read the details again (a retired one then
  // answers 404, "Model not found").
  const onCatalogue = useCallback(
    () => void queryClient.invalidateQueries({ queryKey: trpc.llm.byId.queryKey({ id: llm.id }) }),
    [queryClient, llm.id],
  );
  const live = useLiveModel(llm.id, liveModelDeps, onCatalogue);
  const voteState = useVoteState(votes);
  const hidden = useHiddenResults(revealed, voteState, flagProvider);
  // Null until the voter picks one: the shortest period that holds the model's whole history.
  const [picked, setPicked] = useState<Window | null>(null);
  const history = useQuery(
    trpc.llm.history.queryOptions(
      { id: llm.id, days: WINDOWS.at(-1) },
      { staleTime: 5 * 60_000, placeholderData: keepPreviousData },
    ),
  );

  // The rank range needs the whole board's intervals: the api's overall score board has it.
  const board = useQuery(
    trpc.rankings.list.queryOptions(
      { sort: 'score' },
      { staleTime: 60_000, refetchInterval: 60_000, placeholderData: keepPreviousData },
    ),
  );
  const listed = board.data?.find((r) => r.llm.id === llm.id);

  // Live once the room has spoken; until then (or with the ranker not yet running) `llm.byId`.
  const standing: ModelStanding = live.standing ?? llm;
  const at = live.at ?? fetchedAt;
  const ballot = ballotOf(voteState, llm.id);
  const status = statusOf(voteState, llm.id);
  const ownStatus = ownVoteStatus(status);
  const removed = removedOf(useIntegritySummary(), llm.id);
  // Hidden until the voter votes ('hide-results', or a tally the server withheld); once they
  // have, their revealed tally (or their vote's answer until that is read).
  const withheld = (standing.up as number | null) === null;
  const own = hidden.revealed.get(llm.id) ?? voteState.votes.get(llm.id)?.ack?.tally;
  const base = hidden.hide || withheld ? (ballot === 0 ? null : (own ?? null)) : standing;
  const sealed = base === null;
  const tally = base ? displayTally(voteState, llm.id, base) : { up: 0, down: 0 };
  const score = tally.up - tally.down;
  const confirmed = voteState.votes.get(llm.id)?.confirmed ?? 0;
  // The room moved this model: the voter's revealed tally is read again (throttled).
  const { refresh } = hidden;
  useEffect(() => {
    if (hidden.hide && confirmed !== 0 && live.at !== null) refresh();
  }, [hidden.hide, confirmed, live.at, refresh]);
  const onVote = useCallback(
    (clicked: Ballot) =>
      votes.vote({ id: llm.id, name: llm.name }, clicked, sealed ? null : (base ?? null)),
    [llm, sealed, base],
  );

  const settled = !history.isPending;
  const allPoints = history.data?.points;
  const days = picked ?? defaultWindow(allPoints ?? [], WINDOWS, at);
  const series = useMemo(
    () =>
      settled
        ? chartSeries(pointsWithin(allPoints ?? [], days, at), { score, rank: standing.rank }, at)
        : null,
    [settled, allPoints, days, score, standing.rank, at],
  );
  const released = series && releaseInRange(releaseSeconds(llm.releaseDate), series.xs);
  const summary = series
    ? [
        history.isError ? 'The history couldn’t be loaded.' : '',
        describeHistory(series),
        released && llm.releaseDate ? `Released ${formatDate(llm.releaseDate)} (dashed line).` : '',
      ]
        .filter(Boolean)
        .join(' ')
    : 'Loading the history…';

  return (
    <article className="model-page">
      <p className="back-link">
        <Link to="/">← Leaderboard</Link>
      </p>
      <div className="page-heading">
        <h1 tabIndex={-1}>{llm.name}</h1>
        <p className="muted">by {llm.vendor}</p>
      </div>

      <section className="model-standing" aria-label="Votes and rank">
        <dl className="stat-grid" data-testid="model-tally">
          <div className="stat">
            <dt>Rank</dt>
            <dd>
              {standing.rank !== null ? (
                <span className="stat-rank">
                  <span data-testid="model-rank">{standing.rank}</span>
                  {listed?.rankRange && listed.rankRange.best !== listed.rankRange.worst ? (
                    <span className="stat-range" title={rankRangeText(listed.rankRange)}>
                      {`${listed.rankRange.best}–${listed.rankRange.worst}`}
                    </span>
                  ) : null}
                </span>
              ) : (
                <span data-testid="model-rank" data-no-rank="" className="stat-note">
                  {score === 0 && tally.up === 0 && tally.down === 0
                    ? 'No votes yet'
                    : listed?.provisional
                      ? 'Provisional: too few votes to rank yet'
                      : 'Not ranked yet'}
                </span>
              )}
            </dd>
          </div>
          {sealed ? (
            <div className="stat stat-sealed" data-testid="model-sealed">
              <dt>Votes</dt>
              <dd>
                <span className="stat-note">Vote to see</span>
              </dd>
            </div>
          ) : (
            <>
              <div className="stat">
                <dt>Score</dt>
                <dd data-col="score">
                  <span data-score-value="">{score}</span>
                  {removed > 0 ? <RemovedMark removed={removed} /> : null}
                </dd>
              </div>
              <div className="stat">
                <dt>Up</dt>
                <dd data-col="up">{tally.up}</dd>
              </div>
              <div className="stat">
                <dt>Down</dt>
                <dd data-col="down">{tally.down}</dd>
              </div>
              <div className="stat">
                <dt title="The share of voters who like the model, counted cautiously: at least this share, 95% sure">
                  Wilson
                </dt>
                <dd>
                  {tally.up + tally.down === 0
                    ? '–'
                    : formatWilson(wilsonLowerBound(tally.up, tally.down))}
                </dd>
              </div>
            </>
          )}
        </dl>
        <div className="model-vote">
          <VoteButtons
            name={llm.name}
            ballot={ballot}
            disabled={!voteState.ready}
            lockedReason={ownStatus ? `Voting is off for ${llm.name}: ${ownStatus.explain}` : null}
            onVote={onVote}
            size="large"
          />
          <p className="muted model-vote-hint">
            {ownStatus ? (
              <OwnVoteStatus status={status} long />
            ) : ballot !== 0 ? (
              `You ${ballot === 1 ? 'upvoted' : 'downvoted'} it; press again to take it back.`
            ) : sealed ? (
              'Results are hidden until you vote: vote to see its score and history.'
            ) : tally.up + tally.down === 0 ? (
              'Nobody has voted on it yet: be the first.'
            ) : (
              'You haven’t voted on this model.'
            )}
          </p>
        </div>
      </section>

      {sealed ? null : (
        <ApprovalInterval
          up={tally.up}
          down={tally.down}
          rankRange={standing.rank !== null ? (listed?.rankRange ?? null) : null}
        />
      )}

      <section className="model-history" aria-labelledby="history-heading">
        <div className="section-heading">
          <h2 id="history-heading">History</h2>
          {sealed ? null : (
            <div className="segmented" role="group" aria-label="Chart period">
              {WINDOWS.map((d) => (
                <button
                  key={d}
                  type="button"
                  aria-pressed={days === d}
                  onClick={() => setPicked(d)}
                >
                  {WINDOW_LABEL[d]}
                </button>
              ))}
            </div>
          )}
        </div>
        {sealed ? (
          <p className="sealed-history muted" data-testid="history-sealed">
            Vote to see how its score and rank have moved.
          </p>
        ) : (
          <HistoryChart
            name={llm.name}
            series={series}
            releaseDate={llm.releaseDate}
            summary={summary}
          />
        )}
      </section>

      <section aria-labelledby="details-heading">
        <h2 id="details-heading">Details</h2>
        <dl className="details">
          <dt>Vendor</dt>
          <dd>{llm.vendor}</dd>
          <dt>Family</dt>
          <dd>{llm.family}</dd>
          <dt>Released</dt>
          <dd>{llm.releaseDate ? formatDate(llm.releaseDate) : 'Unknown'}</dd>
          <dt>Open weights</dt>
          <dd>{llm.openWeights ? 'Yes' : 'No'}</dd>
          <dt>Parameters</dt>
          <dd>{llm.parametersB !== null ? formatParameters(llm.parametersB) : 'Not disclosed'}</dd>
          <dt>Context window</dt>
          <dd>
            {llm.contextWindow !== null ? (
              <span title={`${formatCount(llm.contextWindow)} tokens`}>
                {formatContext(llm.contextWindow)}
              </span>
            ) : (
              'Not disclosed'
            )}
          </dd>
          <dt>Categories</dt>
          <dd>{llm.categories.map(categoryLabel).join(', ') || 'None'}</dd>
          {llm.homepage ? (
            <>
              <dt>Homepage</dt>
              <dd>
                <a href={llm.homepage} target="_blank" rel="noopener noreferrer">
                  {hostOf(llm.homepage)}
                </a>
              </dd>
            </>
          ) : null}
        </dl>
      </section>

      <BadgeSnippet id={llm.id} name={llm.name} />

      <VoteConfirmation
        confirmation={voteState.alert ? null : voteState.confirmation}
        votes={votes}
      />
      <VoteAlert alert={voteState.alert} onDismiss={votes.dismissAlert} />
    </article>
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function ModelSkeleton() {
  return (
    <div className="model-page" aria-busy="true">
      <p className="back-link">
        <Link to="/">← Leaderboard</Link>
      </p>
      <div className="page-heading">
        <p className="bone bone-title" />
        <p className="bone bone-text" />
      </div>
      <div className="bone bone-block" />
    </div>
  );
}
