/**
 * Live fan-out: WebSocket connections and live subscriptions per api, what is sent to them
 * (messages and bytes), how long a vote takes to reach subscribers as a diff, and the round
 * trip browsers measure on each transport.
 */
import { dashboard, q, stat, steps, timeseries } from '../panels.ts';
import { datasourceVariable, targetVariable } from '../variables.ts';

const API = 'job="api",instance=~"$instance"';
const R = '[$__rate_interval]';

const quantile = (quantile: number, metric: string, by = '') =>
  `histogram_quantile(${quantile}, sum by (le${by}) (rate(${metric}_bucket{${API}}${R})))`;

export const live = () =>
  dashboard({
    uid: 'llmpt-live',
    title: 'LLMPT / Live fan-out',
    description:
      'WebSocket connections and subscriptions, messages and bytes sent, vote → diff latency and client round trips by transport.',
    variables: [datasourceVariable(), targetVariable('instance', 'instance', 'api', 'api')],
    rows: [
      {
        title: 'Subscribers',
        panels: [
          stat({
            title: 'WebSocket connections',
            description: 'Open WebSockets on the picked apis.',
            unit: 'short',
            queries: [q(`sum(ws_connections{${API}})`, 'connections')],
            width: 6,
          }),
          stat({
            title: 'Live subscriptions',
            description: 'Subscriptions to rankings.live and llm.live over WebSocket.',
            unit: 'short',
            queries: [q(`sum(live_subscriptions{${API}})`, 'subscriptions')],
            width: 6,
          }),
          stat({
            title: 'Vote → diff p95',
            description:
              'From a vote acknowledged by an api to the first rankings diff that carries it (ranker tick + publication + the feed).',
            unit: 's',
            queries: [q(quantile(0.95, 'vote_to_diff_seconds'), 'p95')],
            width: 6,
          }),
          stat({
            title: 'Fan-out bytes /s',
            description: 'Bytes of live frames written to WebSocket subscribers.',
            unit: 'Bps',
            queries: [q(`sum(rate(live_bytes_total{${API}}${R}))`, 'bytes/s')],
            width: 6,
          }),
          timeseries({
            title: 'WebSocket connections per api',
            description:
              'A sudden drop on one api means its sockets closed (restart, crash); clients reconnect through nginx to another api.',
            unit: 'short',
            queries: [q(`sum by (process) (ws_connections{${API}})`, '{{process}}')],
            width: 12,
          }),
          timeseries({
            title: 'Live subscriptions by room',
            description:
              'board: rankings.live (a leaderboard view); model: llm.live (a model page).',
            unit: 'short',
            queries: [q(`sum by (room) (live_subscriptions{${API}})`, '{{room}}')],
            stacked: true,
            width: 12,
          }),
        ],
      },
      {
        title: 'What is sent',
        panels: [
          timeseries({
            title: 'Messages sent by kind',
            description:
              'Live messages per second to subscribers: snapshots (on subscribe or resume) and diffs.',
            unit: 'ops',
            queries: [q(`sum by (kind) (rate(live_messages_total{${API}}${R}))`, '{{kind}}')],
            stacked: true,
            width: 12,
          }),
          timeseries({
            title: 'Bytes sent per api',
            description: 'WebSocket bytes of live frames per second, per api process.',
            unit: 'Bps',
            queries: [q(`sum by (process) (rate(live_bytes_total{${API}}${R}))`, '{{process}}')],
            stacked: true,
            width: 12,
          }),
          timeseries({
            title: 'Diff size',
            description:
              'One rankings diff as sent to one room (p50, p95): the ranker paces diffs so this stays bounded under heavy voting.',
            unit: 'bytes',
            queries: [
              q(quantile(0.5, 'rankings_diff_bytes'), 'p50'),
              q(quantile(0.95, 'rankings_diff_bytes'), 'p95'),
            ],
            width: 12,
          }),
          timeseries({
            title: 'Entries per diff',
            description: 'Models changed per diff received from the ranker (p50, p95).',
            unit: 'short',
            queries: [
              q(quantile(0.5, 'rankings_diff_entries'), 'p50'),
              q(quantile(0.95, 'rankings_diff_entries'), 'p95'),
            ],
            width: 12,
          }),
        ],
      },
      {
        title: 'Latency seen by voters',
        panels: [
          timeseries({
            title: 'Vote → diff latency',
            description:
              'From a vote acknowledged by this api to the first diff carrying it: bounded by the ranker tick (RANKER_TICK_MS … RANKER_MAX_TICK_MS).',
            unit: 's',
            queries: [
              q(quantile(0.5, 'vote_to_diff_seconds'), 'p50'),
              q(quantile(0.95, 'vote_to_diff_seconds'), 'p95'),
              q(quantile(0.99, 'vote_to_diff_seconds'), 'p99'),
            ],
            width: 12,
          }),
          timeseries({
            title: 'Client round trip by transport (p95)',
            description:
              'Round trips measured by browsers and reported through telemetry.latency, per transport (ws, sse, polling). Dashed: the seed bounds, 500 ms and 1 s.',
            unit: 's',
            queries: [
              q(quantile(0.5, 'client_rtt_seconds', ', transport'), '{{transport}} p50'),
              q(quantile(0.95, 'client_rtt_seconds', ', transport'), '{{transport}} p95'),
            ],
            thresholds: steps.latency(),
            width: 12,
          }),
        ],
      },
    ],
  });
