import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

import {
  type ConfigVersions,
  type Llm,
  type RankingEntry,
  type LiveWindow,
  type LiveWireMessage,
  type RankingSort,
  WireTable,
  encodeWireDiff,
  encodeWireSnapshot,
  llmByIdInputSchema,
  llmLiveInputSchema,
  rankRanges,
  rankingsListInputSchema,
  rankingsLiveInputSchema,
  rankingsLiveWindowInputSchema,
  wilsonLowerBound,
} from '@llmpt/shared';
import { TRPCError, initTRPC, tracked } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';

import type { LatencyReport, LiveMessage, LiveRankingRow } from '../live-contract.ts';

/**
 * A real tRPC server (stock standalone adapter for HTTP and SSE, stock ws adapter on the same
 * port) serving the live contract from an in-memory board, with switches to take ws or SSE
 * down. It stands in for the api, not for Redis or Postgres: the client library is under test.
 */
export type LiveTestServer = Awaited<ReturnType<typeof startLiveTestServer>>;
export type LiveTestRouter = LiveTestServer['router'];

type Via = 'ws' | 'sse';
interface Logged {
  id: string;
  message: LiveMessage;
}

const llm = (id: string, name: string): Llm => ({
  id,
  name,
  vendor: 'Test',
  family: name,
  releaseDate: null,
  openWeights: false,
  parametersB: null,
  contextWindow: null,
  categories: ['chat'],
  homepage: null,
  status: 'active',
});

export async function startLiveTestServer() {
  let catalogue = [llm('alpha', 'Alpha'), llm('beta', 'Beta'), llm('gamma', 'Gamma')];
  const tallies = new Map(catalogue.map((l, i) => [l.id, { up: 10 - i, down: 0 }]));
  let entries = rank();
  let seq = 0;
  const log: Logged[] = [];
  const listeners = new Set<(m: Logged) => void>();
  let wsDown = false;
  let sseDown = false;
  /** What the client asked for: every `rankings.live` input, with the transport it came by. */
  const liveCalls: Array<{ via: Via; lastEventId: string | undefined }> = [];
  /** Every `rankings.liveWindow` input (the compact feed), with its transport. */
  const windowCalls: Array<{ via: Via; window: LiveWindow; lastEventId: string | undefined }> = [];
  const latencyReports: LatencyReport[] = [];
  let snapshotsSent = 0;
  let byIdCalls = 0;
  let modelLiveCalls = 0;
  let modelLiveBroken = false;
  /** The catalogue and flag versions the api would announce in `config` messages. */
  const config: ConfigVersions = { catalogue: 1, flags: 1, integrity: 1 };
  /** Every `rankings.list` input (the board's catalogue reads and polls). */
  const listCalls: Array<{ catalogue: number | undefined }> = [];

  function rank(): Map<string, RankingEntry> {
    const list = catalogue.map((l) => {
      const { up, down } = tallies.get(l.id) ?? { up: 0, down: 0 };
      return {
        llmId: l.id,
        up,
        down,
        score: up - down,
        wilson: wilsonLowerBound(up, down),
        trending: up - down,
      };
    });
    const ranks = (sort: RankingSort) =>
      new Map([...list].sort((a, b) => b[sort] - a[sort]).map((e, i) => [e.llmId, i + 1]));
    const byScore = ranks('score');
    const byWilson = ranks('wilson');
    const byTrending = ranks('trending');
    return new Map(
      list.map((e) => [
        e.llmId,
        {
          ...e,
          ranks: {
            score: byScore.get(e.llmId),
            wilson: byWilson.get(e.llmId),
            trending: byTrending.get(e.llmId),
          },
        },
      ]),
    );
  }

  const snapshotMessage = (): Logged => {
    const id = log.at(-1)?.id ?? '0-0';
    const at = Date.now();
    return {
      id,
      message: { type: 'snapshot', snapshot: { id, at, entries: [...entries.values()] } },
    };
  };

  function publish(message: LiveMessage, id: string): void {
    const logged = { id, message };
    log.push(logged);
    for (const listener of listeners) listener(logged);
  }

  /** A subscription's messages: a snapshot or the replay after `lastEventId`, then new ones. */
  async function* follow(
    lastEventId: string | undefined,
    signal: AbortSignal | undefined,
    project: (m: LiveMessage) => LiveMessage,
  ) {
    const queue: Logged[] = [];
    let wake: (() => void) | null = null;
    const listener = (m: Logged) => {
      queue.push(m);
      wake?.();
    };
    // Listen before reading the log, as the api does, so nothing falls in between.
    listeners.add(listener);
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      const at = lastEventId === undefined ? -1 : log.findIndex((m) => m.id === lastEventId);
      const replay = at >= 0 ? log.slice(at + 1) : null;
      if (replay) {
        queue.unshift(...replay);
      } else {
        snapshotsSent += 1;
        const snapshot = snapshotMessage();
        yield tracked(snapshot.id, project(snapshot.message));
      }
      // As the api does: the versions once after the snapshot or replay, then on every change.
      queue.splice(replay?.length ?? 0, 0, configMessage());
      while (!signal?.aborted) {
        const next = queue.shift();
        if (next) yield tracked(next.id, project(next.message));
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      listeners.delete(listener);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Tracked with the last diff's id, so a resume after it replays nothing twice. */
  const configMessage = (): Logged => ({
    id: log.at(-1)?.id ?? '0-0',
    message: { type: 'config', config: { ...config } },
  });

  const t = initTRPC.context<{ via: Via }>().create();
  const router = t.router({
    rankings: t.router({
      list: t.procedure.input(rankingsListInputSchema).query(({ input }): LiveRankingRow[] => {
        listCalls.push({ catalogue: input?.catalogue });
        const sort = input?.sort ?? 'score';
        return catalogue
          .flatMap((model) => {
            const e = entries.get(model.id);
            if (!e) return [];
            const { up, down, score, wilson, trending } = e;
            const rank = e.ranks[sort] ?? 0;
            return [
              {
                rank,
                llm: model,
                up,
                down,
                score,
                wilson,
                trending,
                provisional: false,
                rankRange: null,
              },
            ];
          })
          .sort((a, b) => a.rank - b.rank);
      }),
      live: t.procedure.input(rankingsLiveInputSchema).subscription(async function* ({
        ctx,
        input,
        signal,
      }) {
        liveCalls.push({ via: ctx.via, lastEventId: input?.lastEventId });
        yield* follow(input?.lastEventId, signal, (m) => m);
      }),
      /**
       * The compact feed through the shared codec: a snapshot first (always, as the api does),
       * then every diff's entries (no window held back here: the api's rooms are tested there),
       * each with its rank range by the shared rule over the whole board (ranges of models a
       * diff doesn't carry are not re-sent here; the api's rooms send moved ones, tested there).
       */
      liveWindow: t.procedure.input(rankingsLiveWindowInputSchema).subscription(async function* ({
        ctx,
        input,
        signal,
      }) {
        windowCalls.push({ via: ctx.via, window: input.window, lastEventId: input.lastEventId });
        const sort = input.sort;
        const table = new WireTable();
        const wire = (list: readonly RankingEntry[]) => {
          const all = [...entries.values()];
          const ranges = rankRanges(
            sort,
            all.map((e) => ({ ...e, rank: e.ranks[sort] ?? null })),
          );
          const rangeOf = new Map(all.map((e, i) => [e.llmId, ranges[i] ?? null]));
          return list.map((e) => ({
            llmId: e.llmId,
            up: e.up,
            down: e.down,
            trending: e.trending,
            rank: e.ranks[sort] ?? null,
            rankRange: rangeOf.get(e.llmId) ?? null,
          }));
        };
        for await (const [id, m] of follow(undefined, signal, (x) => x)) {
          let out: LiveWireMessage | LiveMessage = m;
          if (m.type === 'snapshot') {
            for (const e of m.snapshot.entries) table.ref(e.llmId);
            table.takeAdded();
            out = encodeWireSnapshot(table, m.snapshot.at, wire(m.snapshot.entries));
          } else if (m.type === 'diff') {
            out = encodeWireDiff(table, m.diff.at, wire(m.diff.entries));
          }
          yield tracked(id, out);
        }
      }),
    }),
    llm: t.router({
      byId: t.procedure.input(llmByIdInputSchema).query(({ input }) => {
        byIdCalls += 1;
        const model = catalogue.find((l) => l.id === input.id);
        const e = entries.get(input.id);
        if (!model || !e) throw new TRPCError({ code: 'NOT_FOUND', message: 'no such model' });
        const { up, down, score, wilson } = e;
        return { ...model, up, down, score, wilson, rank: e.ranks.score ?? null };
      }),
      /** The model's room: the board's messages cut down to its entry. */
      live: t.procedure.input(llmLiveInputSchema).subscription(async function* ({ input, signal }) {
        modelLiveCalls += 1;
        if (modelLiveBroken) {
          throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'room unavailable' });
        }
        const only = (list: RankingEntry[]) => list.filter((e) => e.llmId === input.id);
        yield* follow(input.lastEventId, signal, (m): LiveMessage =>
          m.type === 'snapshot'
            ? { type: 'snapshot', snapshot: { ...m.snapshot, entries: only(m.snapshot.entries) } }
            : m.type === 'diff'
              ? { type: 'diff', diff: { ...m.diff, entries: only(m.diff.entries) } }
              : m,
        );
      }),
    }),
    telemetry: t.router({
      latency: t.procedure
        .input((raw): LatencyReport => {
          const r = raw as Partial<LatencyReport>;
          if (
            typeof r.rttMs !== 'number' ||
            !['ws', 'sse', 'polling'].includes(String(r.transport))
          ) {
            throw new Error('bad latency report');
          }
          return { rttMs: r.rttMs, transport: r.transport as LatencyReport['transport'] };
        })
        .mutation(({ input }) => {
          latencyReports.push(input);
          return { recorded: true };
        }),
    }),
  });

  const handle = createHTTPHandler({
    router,
    basePath: '/trpc/',
    createContext: () => ({ via: 'sse' as const }),
  });
  const sseSockets = new Set<Duplex>();
  const server = createServer((req: IncomingMessage, res) => {
    if (req.headers.accept === 'text/event-stream') {
      if (sseDown) return req.socket.destroy();
      sseSockets.add(req.socket);
      res.on('close', () => sseSockets.delete(req.socket));
    }
    handle(req, res);
  });
  const wss = new WebSocketServer({ noServer: true });
  applyWSSHandler({ wss, router, createContext: () => ({ via: 'ws' as const }) });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (wsDown) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const dropWebSockets = () => {
    for (const ws of wss.clients) ws.terminate();
  };

  return {
    router,
    url: `http://127.0.0.1:${port}/trpc`,
    wsUrl: `ws://127.0.0.1:${port}/trpc`,
    liveCalls,
    windowCalls,
    latencyReports,
    snapshotsSent: () => snapshotsSent,
    /** `llm.byId` calls so far (the model page's polling fallback). */
    byIdCalls: () => byIdCalls,
    modelLiveCalls: () => modelLiveCalls,
    /** Makes new `llm.live` subscriptions fail (500) until set back. */
    setModelLiveBroken(broken: boolean): void {
      modelLiveBroken = broken;
    },
    /** The id of the last message published. */
    lastId: () => log.at(-1)?.id ?? '0-0',
    /** Changes a tally and publishes the entries whose tally or rank changed, as the ranker does. */
    vote(llmId: string, up: number, down = 0): string {
      const before = entries;
      tallies.set(llmId, { up, down });
      entries = rank();
      const changed = [...entries.values()].filter(
        (e) => JSON.stringify(e) !== JSON.stringify(before.get(e.llmId)),
      );
      const id = `${1_700_000_000_000 + ++seq}-0`;
      publish({ type: 'diff', diff: { id, at: Date.now(), entries: changed } }, id);
      return id;
    },
    listCalls,
    /**
     * An admin's catalogue change as the api announces it: the catalogue version bumped and a
     * `config` message to every subscriber (not in the replay log). A retired model stays in
     * the live entries, as in the api's live copy until its next snapshot reload; a new one
     * gets its entry in a diff after the announcement, as from the ranker's next tick.
     */
    editCatalogue(change: { rename?: [string, string]; add?: [string, string]; retire?: string }) {
      if (change.rename) {
        const [id, name] = change.rename;
        catalogue = catalogue.map((l) => (l.id === id ? { ...l, name, family: name } : l));
      }
      if (change.retire) catalogue = catalogue.filter((l) => l.id !== change.retire);
      if (change.add) catalogue = [...catalogue, llm(...change.add)];
      config.catalogue += 1;
      const announced = configMessage();
      for (const listener of listeners) listener(announced);
      if (change.add) {
        const kept = entries;
        entries = rank();
        for (const [id, e] of kept) if (!entries.has(id)) entries.set(id, e);
        const added = entries.get(change.add[0]);
        if (added) {
          const id = `${1_700_000_000_000 + ++seq}-0`;
          publish({ type: 'diff', diff: { id, at: Date.now(), entries: [added] } }, id);
        }
      }
      return config.catalogue;
    },
    /** Retires a model and sends every subscriber a fresh snapshot (a room reset). */
    retire(llmId: string): string {
      catalogue = catalogue.filter((l) => l.id !== llmId);
      tallies.delete(llmId);
      entries = rank();
      const id = `${1_700_000_000_000 + ++seq}-0`;
      const at = Date.now();
      publish({ type: 'snapshot', snapshot: { id, at, entries: [...entries.values()] } }, id);
      return id;
    },
    dropWebSockets,
    /** Refuses WebSocket upgrades (and drops open sockets) while down. */
    setWsDown(down: boolean): void {
      wsDown = down;
      if (down) dropWebSockets();
    },
    /** Cuts the open SSE streams once (the client reconnects by itself). */
    dropSse(): void {
      for (const socket of sseSockets) socket.destroy();
    },
    /** Drops SSE streams and their new connections while down; queries still work. */
    setSseDown(down: boolean): void {
      sseDown = down;
      if (down) for (const socket of sseSockets) socket.destroy();
    },
    async close(): Promise<void> {
      dropWebSockets();
      for (const socket of sseSockets) socket.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
