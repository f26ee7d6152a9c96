/**
 * nginx, the edge: requests and connections from its stub_status (nginx-prometheus-exporter),
 * and how much of the edge's traffic it answers without an api.
 */
import { dashboard, q, stat, steps, timeseries } from '../panels.ts';
import { datasourceVariable, targetVariable } from '../variables.ts';

const EDGE = 'job="nginx",instance=~"$instance"';
const R = '[$__rate_interval]';

const edgeRequests = `sum(rate(nginx_http_requests_total{${EDGE}}${R}))`;
const apiRequests = `sum(rate(trpc_request_duration_seconds_count{job="api"}${R}))`;

export const nginx = () =>
  dashboard({
    uid: 'llmpt-nginx',
    title: 'LLMPT / nginx',
    description:
      'The edge: requests, connections by state, dropped connections, keep-alive reuse, and the share of requests answered at the edge.',
    variables: [datasourceVariable(), targetVariable('instance', 'instance', 'nginx', 'edge')],
    rows: [
      {
        title: 'Edge',
        panels: [
          stat({
            title: 'Requests /s',
            description:
              'Every request nginx handled (SPA files, /trpc, SSE and WebSocket upgrades).',
            unit: 'reqps',
            queries: [q(edgeRequests, 'requests/s')],
            width: 6,
          }),
          stat({
            title: 'Active connections',
            description: 'Client connections open now (WebSockets and SSE streams included).',
            unit: 'short',
            queries: [q(`sum(nginx_connections_active{${EDGE}})`, 'active')],
            width: 6,
          }),
          stat({
            title: 'Dropped connections /s',
            description:
              'Accepted but not handled: nginx ran out of worker_connections or another resource. Should be 0.',
            unit: 'ops',
            queries: [
              q(
                `sum(rate(nginx_connections_accepted{${EDGE}}${R})) - sum(rate(nginx_connections_handled{${EDGE}}${R}))`,
                'dropped',
              ),
            ],
            thresholds: steps.below(0.01),
            width: 6,
          }),
          stat({
            title: 'Answered at the edge',
            description:
              'Share of edge requests that never reached an api: cache hits (L3), SPA files and the edge’s own 429s. The apis count their calls in trpc_request_duration_seconds.',
            unit: 'percentunit',
            queries: [q(`clamp_min(1 - ${apiRequests} / ${edgeRequests}, 0)`, 'at the edge')],
            width: 6,
          }),
          timeseries({
            title: 'Requests /s',
            description:
              'Requests handled by nginx, and the tRPC calls that reached the apis behind it.',
            unit: 'reqps',
            queries: [q(edgeRequests, 'edge'), q(apiRequests, 'reached the apis')],
            width: 12,
          }),
          timeseries({
            title: 'Connections by state',
            description:
              'reading: request headers being read; writing: answering (long-lived WebSockets and SSE streams stay here); waiting: idle keep-alive.',
            unit: 'short',
            queries: [
              q(`sum(nginx_connections_reading{${EDGE}})`, 'reading'),
              q(`sum(nginx_connections_writing{${EDGE}})`, 'writing'),
              q(`sum(nginx_connections_waiting{${EDGE}})`, 'waiting'),
            ],
            stacked: true,
            width: 12,
          }),
          timeseries({
            title: 'Connections accepted and handled /s',
            description:
              'New client connections per second; a gap between the two is dropped connections.',
            unit: 'ops',
            queries: [
              q(`sum(rate(nginx_connections_accepted{${EDGE}}${R}))`, 'accepted'),
              q(`sum(rate(nginx_connections_handled{${EDGE}}${R}))`, 'handled'),
            ],
            width: 12,
          }),
          timeseries({
            title: 'Requests per connection',
            description: 'Keep-alive reuse: requests per new client connection.',
            unit: 'short',
            queries: [
              q(
                `${edgeRequests} / sum(rate(nginx_connections_accepted{${EDGE}}${R}))`,
                'requests/connection',
              ),
            ],
            width: 12,
          }),
        ],
      },
    ],
  });
