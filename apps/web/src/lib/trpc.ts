import type { AppRouter } from '@llmpt/api/router';
import { QueryClient } from '@tanstack/react-query';
import { createTRPCClient } from '@trpc/client';
import { type inferOutput, createTRPCOptionsProxy } from '@trpc/tanstack-react-query';

import { env } from '../env.ts';
import { isClientFault } from './errors.ts';
import { type RevealedApi, RevealedTallies } from './flags/revealed-tallies.ts';
import { type FlagsApi, VoterFlagProvider } from './flags/voter-flag-provider.ts';
import { summaryIsStale } from './integrity.ts';
import { ConfigFeed } from './live/config-feed.ts';
import { createConnectionStore } from './live/connection-store.ts';
import { createLiveLinks } from './live/create-links.ts';
import { startLatencyMonitor } from './live/latency-monitor.ts';
import type { LiveApi } from './live/live-contract.ts';
import { sharedThrottle } from './live/shared-throttle.ts';
import type { LiveModelApi } from './live/live-model.ts';
import { BrowserSignals } from './votes/browser-signals.ts';
import type { VoteApi } from './votes/vote-contract.ts';
import { VoteController } from './votes/vote-controller.ts';

/** The app's one query cache. */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx (bad input, unknown model, rate limited) will fail the same way again.
      retry: (failureCount, error) => failureCount < 2 && !isClientFault(error),
    },
  },
});

/**
 * Live connection state (status, transport, round trip) for `useSyncExternalStore`. Measurements
 * go to `telemetry.latency`, at most one a minute from this browser, however many tabs it has
 * open (they share the schedule through localStorage).
 */
export const connectionStore = createConnectionStore({
  // Called only after a measurement, long after `trpcClient` below exists.
  report: (report) => trpcClient.telemetry.latency.mutate(report),
  reportThrottle: sharedThrottle('llmpt-latency-reported-at', 60_000),
});

/**
 * Queries and mutations: unbatched `httpLink` on purpose (a single call is the api's fast path,
 * batches go through the stock adapter, and queries are cacheable GETs). Subscriptions: ws,
 * falling back to SSE, then to polling in `useLiveRankings` (see `live/create-links.ts`). The
 * WebSocket opens now, not on the first subscription: the page shows live data at once.
 * @see https://trpc.io/docs/client/links/httpLink
 */
const live = createLiveLinks<AppRouter>({ url: env.trpcUrl, store: connectionStore });

export const trpcClient = createTRPCClient<AppRouter>({ links: live.links });

startLatencyMonitor({
  store: connectionStore,
  transport: live.transport,
  // No no-op query in the contract; the api answers this one from memory.
  probe: (signal) => trpcClient.rankings.list.query(undefined, { signal }),
});

/**
 * The live library's view of the client. Typed as `LiveApi` on purpose: if the api's procedures
 * drift from the live contract, this assignment is what stops compiling.
 */
export const liveApi: LiveApi = trpcClient;

/** The newest catalogue and flag versions the tab's live subscriptions have reported. */
export const configFeed = new ConfigFeed();

/** Default dependencies of `useLiveRankings`. */
export const liveDeps = { api: liveApi, store: connectionStore, config: configFeed };

/** The model page's live tally and rank (typed by its contract, as `liveApi` is). */
const liveModelApi: LiveModelApi = trpcClient;
export const liveModelDeps = { api: liveModelApi, store: connectionStore, config: configFeed };

/**
 * The voter's feature flags for OpenFeature (`main.tsx` sets it as the provider), re-evaluated
 * whenever the live feed reports a newer flags version.
 */
const flagsApi: FlagsApi = trpcClient;
export const flagProvider = new VoterFlagProvider(flagsApi);
configFeed.subscribe((kind, version) => {
  if (kind === 'flags') flagProvider.noteVersion(version);
});

/**
 * The optional browser signals of a vote (issue 13): FingerprintJS in its own chunk, loaded once
 * the page has painted and the browser is idle (`main.tsx` starts it); votes never wait for it.
 */
export const browserSignals = new BrowserSignals(() =>
  import('@fingerprintjs/fingerprintjs').then((m) => m.default),
);

/** The voter's ballots and optimistic votes, shared by every page. */
const voteApi: VoteApi = trpcClient;
export const votes = new VoteController(voteApi, { signals: browserSignals.read });

/**
 * Removed votes per model and in total (`integrity.summary`), read again whenever the live feed
 * reports an integrity version newer than the one held (a flag raised, confirmed or dismissed);
 * the voter's own statuses (`vote.mine`) too.
 */
let integrityHeard = false;
configFeed.subscribe((kind, version) => {
  if (kind !== 'integrity') return;
  const key = trpc.integrity.summary.queryKey();
  if (summaryIsStale(queryClient.getQueryData(key), version))
    void queryClient.invalidateQueries({ queryKey: key });
  // A flag may have taken out (or given back) one of this voter's ballots: re-read their
  // statuses. Not for the first version heard (the page read them just now), not for a voter
  // with no ballot, and spread over a few seconds: every open page hears the same message.
  const first = !integrityHeard;
  integrityHeard = true;
  if (!first && votes.hasBallots()) setTimeout(() => void votes.reload(), Math.random() * 3_000);
});

// A voter's id (the HttpOnly cookie) may be new with their first counted vote: evaluate again.
const unwatchFirstVote = votes.subscribe(() => {
  if (!votes.getSnapshot().confirmation) return;
  unwatchFirstVote();
  void flagProvider.refresh();
});

/** The tallies of the voter's own models, when results are hidden until they vote. */
const revealedApi: RevealedApi = trpcClient;
export const revealed = new RevealedTallies(revealedApi);

/**
 * Query/mutation options and keys for every procedure: `useQuery(trpc.rankings.list.queryOptions())`.
 * @see https://trpc.io/docs/client/tanstack-react-query/usage
 */
export const trpc = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });

export type RankingRow = inferOutput<typeof trpc.rankings.list>[number];
export type LlmDetails = inferOutput<typeof trpc.llm.byId>;
