/**
 * The vote path: vote.cast from the api's point of view (rate, outcomes, latency against the
 * seed's p95/p99), what is refused and why, every procedure's traffic and latency, the Redis
 * scripts under a vote, and the read caches (against the seed's 80 % hit rate).
 */
import { dashboard, q, stat, steps, timeseries } from '../panels.ts';
import { datasourceVariable, targetVariable } from '../variables.ts';

/** The api processes picked in `$instance`. */
const API = 'job="api",instance=~"$instance"';
const R = '[$__rate_interval]';
/** vote.cast outcomes that are not an accepted ballot (apps/api/src/metrics.ts, VoteResult). */
const REFUSED =
  'rate_limited|network_limited|unknown_model|not_ready|unreplicated|invalid_voter|error';
const ACCEPTED = 'changed|unchanged';

const voteQuantile = (quantile: number) =>
  `histogram_quantile(${quantile}, sum by (le) (rate(trpc_request_duration_seconds_bucket{${API},path="vote.cast"}${R})))`;
const allQuantile = (quantile: number) =>
  `histogram_quantile(${quantile}, sum by (le) (rate(trpc_request_duration_seconds_bucket{${API}}${R})))`;

export const votePath = () =>
  dashboard({
    uid: 'llmpt-vote-path',
    title: 'LLMPT / Vote path',
    description:
      'vote.cast through the api: rate, outcomes, latency (seed: p95 < 500 ms, p99 < 1 s), refusals, procedures and read caches.',
    variables: [datasourceVariable(), targetVariable('instance', 'instance', 'api', 'api')],
    rows: [
      {
        title: 'Votes',
        panels: [
          stat({
            title: 'Votes accepted /s',
            description: 'vote.cast calls answered with a ballot (changed or unchanged), all apis.',
            unit: 'ops',
            queries: [q(`sum(rate(votes_total{${API},result=~"${ACCEPTED}"}${R}))`, 'accepted')],
            width: 6,
          }),
          stat({
            title: 'vote.cast p95',
            description: 'The seed expects p95 under 500 ms.',
            unit: 's',
            queries: [q(voteQuantile(0.95), 'p95')],
            thresholds: steps.latency(),
            width: 6,
          }),
          stat({
            title: 'vote.cast p99',
            description: 'The seed expects p99 under 1 s.',
            unit: 's',
            queries: [q(voteQuantile(0.99), 'p99')],
            thresholds: steps.latency(),
            width: 6,
          }),
          stat({
            title: 'Votes refused',
            description:
              'Share of vote.cast calls refused by the api (rate limits, not ready, unreplicated, bad input). nginx refusals (429 at the edge) never reach the api.',
            unit: 'percentunit',
            queries: [
              q(
                `sum(rate(votes_total{${API},result=~"${REFUSED}"}${R})) / sum(rate(votes_total{${API}}${R}))`,
                'refused',
              ),
            ],
            thresholds: steps.below(0.05),
            width: 6,
          }),
          timeseries({
            title: 'vote.cast outcomes',
            description:
              'Every vote.cast by result: changed (a ballot written), unchanged (same ballot again), and each refusal.',
            unit: 'ops',
            queries: [q(`sum by (result) (rate(votes_total{${API}}${R}))`, '{{result}}')],
            stacked: true,
            width: 12,
          }),
          timeseries({
            title: 'vote.cast latency',
            description:
              'From request to answer in the api (zod, limits, the Lua script, the replica WAIT). Dashed: the seed bounds, 500 ms (p95) and 1 s (p99).',
            unit: 's',
            queries: [
              q(voteQuantile(0.5), 'p50'),
              q(voteQuantile(0.95), 'p95'),
              q(voteQuantile(0.99), 'p99'),
            ],
            thresholds: steps.latency(),
            width: 12,
          }),
        ],
      },
      {
        title: 'Limits and refusals',
        panels: [
          timeseries({
            title: 'Refused votes by reason',
            description:
              'rate_limited: per voter/IP windows; network_limited: new ballots per network and model; not_ready: partition rebuilding (503); unreplicated: the Redis replica did not confirm (503).',
            unit: 'ops',
            queries: [
              q(
                `sum by (result) (rate(votes_total{${API},result=~"${REFUSED}"}${R}))`,
                '{{result}}',
              ),
            ],
            width: 8,
          }),
          timeseries({
            title: 'Non-OK answers by procedure',
            description:
              'tRPC answers other than OK, by procedure and code (TOO_MANY_REQUESTS is a 429, SERVICE_UNAVAILABLE a 503).',
            unit: 'reqps',
            queries: [
              q(
                `sum by (path, code) (rate(trpc_request_duration_seconds_count{${API},code!="OK"}${R}))`,
                '{{path}} {{code}}',
              ),
            ],
            width: 8,
          }),
          timeseries({
            title: 'WebSockets closed for a limit',
            description:
              'Sockets closed with 1008 by the per-socket guard, by limit (messages/s, calls per message, subscriptions per socket).',
            unit: 'ops',
            queries: [q(`sum by (limit) (rate(ws_refused_total{${API}}${R}))`, '{{limit}}')],
            width: 8,
          }),
        ],
      },
      {
        title: 'Procedures',
        panels: [
          timeseries({
            title: 'Requests by procedure',
            description: 'tRPC calls per second by procedure (batches as (batch)).',
            unit: 'reqps',
            queries: [
              q(
                `sum by (path) (rate(trpc_request_duration_seconds_count{${API}}${R}))`,
                '{{path}}',
              ),
            ],
            stacked: true,
            width: 12,
          }),
          timeseries({
            title: 'p95 latency by procedure',
            description: 'Dashed: the seed bounds, 500 ms (p95) and 1 s (p99).',
            unit: 's',
            queries: [
              q(
                `histogram_quantile(0.95, sum by (le, path) (rate(trpc_request_duration_seconds_bucket{${API}}${R})))`,
                '{{path}}',
              ),
            ],
            thresholds: steps.latency(),
            width: 12,
          }),
          timeseries({
            title: 'All requests: latency',
            description: 'Every tRPC call. Dashed: the seed bounds, 500 ms (p95) and 1 s (p99).',
            unit: 's',
            queries: [
              q(allQuantile(0.5), 'p50'),
              q(allQuantile(0.95), 'p95'),
              q(allQuantile(0.99), 'p99'),
            ],
            thresholds: steps.latency(),
            width: 12,
          }),
          timeseries({
            title: 'Share of answers not OK',
            description:
              'Of all tRPC calls, the share answered with anything but OK (refusals and errors alike).',
            unit: 'percentunit',
            queries: [
              q(
                `1 - sum(rate(trpc_request_duration_seconds_count{${API},code="OK"}${R})) / sum(rate(trpc_request_duration_seconds_count{${API}}${R}))`,
                'not OK',
              ),
            ],
            min: 0,
            width: 12,
          }),
          timeseries({
            title: 'Redis scripts (p99 round trip)',
            description:
              'cast-vote: the vote Lua script; wait-replica: the WAIT that makes the replica confirm a vote before it is acknowledged.',
            unit: 's',
            queries: [
              q(
                `histogram_quantile(0.99, sum by (le, script) (rate(redis_script_duration_seconds_bucket{${API}}${R})))`,
                '{{script}}',
              ),
            ],
            width: 12,
          }),
          timeseries({
            title: 'Votes acknowledged without a replica',
            description:
              'Votes acknowledged on the primary alone because no replica was attached (after a failover, VOTE_ACK_WITHOUT_REPLICA=accept). Should be 0 outside a failover.',
            unit: 'ops',
            queries: [
              q(
                `sum by (instance) (rate(votes_without_replica_total{${API}}${R}))`,
                '{{instance}}',
              ),
            ],
            width: 12,
          }),
        ],
      },
      {
        title: 'Read caches',
        panels: [
          stat({
            title: 'Response cache hit rate',
            description:
              'rankings.list and llm.list answers served from the encoded-response cache. The seed expects above 80 %.',
            unit: 'percentunit',
            queries: [
              q(
                `sum(rate(cache_requests_total{${API},cache="response",result="hit"}${R})) / sum(rate(cache_requests_total{${API},cache="response"}${R}))`,
                'hit rate',
              ),
            ],
            thresholds: steps.cacheHit(),
            width: 6,
            height: 8,
          }),
          timeseries({
            title: 'Hit rate by cache',
            description:
              'In-process caches (catalogue, response, rankings, tallies, trends): hits and stale-while-revalidate answers over all lookups. Dashed: the seed’s 80 %.',
            unit: 'percentunit',
            queries: [
              q(
                `sum by (cache) (rate(cache_requests_total{${API},result=~"hit|stale"}${R})) / sum by (cache) (rate(cache_requests_total{${API}}${R}))`,
                '{{cache}}',
              ),
            ],
            thresholds: steps.cacheHit(),
            min: 0,
            max: 1,
            width: 18,
          }),
        ],
      },
    ],
  });
