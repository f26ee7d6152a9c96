/**
 * What users do, through the cluster's nginx edge, enough for every series the dashboards
 * show: voters voting, switching and retracting (each on its own client network); one voter
 * going over the app's per-voter limit; readers of the leaderboard, the catalogue, trends and a
 * model; WebSocket subscribers of the board and of a model; one socket over the subscription
 * limit; browsers reporting their round trip per transport.
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import WebSocket from 'ws';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to the edge from `localAddress` (its own address, as a distinct client). */
function call(
  edge: URL,
  method: 'GET' | 'POST',
  path: string,
  opts: { localAddress: string; cookie?: string; body?: unknown },
): Promise<Answer> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: edge.hostname,
        port: edge.port,
        method,
        path,
        localAddress: opts.localAddress,
        headers: {
          ...(opts.cookie ? { cookie: opts.cookie } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const query = (path: string, input?: unknown) =>
  input === undefined
    ? `/trpc/${path}`
    : `/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;

/** A client on its own /24 (per-network limits and nginx's per-address zones apply to each). */
const address = (i: number) => `127.1.${(i % 250) + 1}.${Math.floor(i / 250) + 1}`;

/** What the traffic did, so a test can tell its scenario actually happened. */
export interface TrafficStats {
  votesAccepted: number;
  /** 429s from the api's own per-voter limit (tRPC error, appCode RATE_LIMITED). */
  appRateLimited: number;
  /** 429s from nginx's per-address limit (never reach the api). */
  edgeRateLimited: number;
  reads: number;
  liveMessages: number;
  /** Close codes of sockets the server closed (1008: a per-socket limit). */
  closedByServer: number[];
  rttReports: number;
  errors: string[];
}

export interface TrafficOptions {
  voters: number;
  subscribers: number;
  /** The api's VOTE_RATE_LIMIT (votes per voter per minute) the cluster runs with. */
  voteRateLimit: number;
}

export interface Traffic {
  stats: TrafficStats;
  stop(): Promise<void>;
}

/** Starts every kind of traffic; it runs until stop(). */
export async function startTraffic(edgeUrl: string, o: TrafficOptions): Promise<Traffic> {
  const edge = new URL(edgeUrl);
  const stats: TrafficStats = {
    votesAccepted: 0,
    appRateLimited: 0,
    edgeRateLimited: 0,
    reads: 0,
    liveMessages: 0,
    closedByServer: [],
    rttReports: 0,
    errors: [],
  };
  const stopping = new AbortController();
  const { signal } = stopping;
  const note = (what: string) => (e: unknown) => {
    if (!signal.aborted)
      stats.errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  };

  const list = await call(edge, 'GET', query('llm.list', {}), { localAddress: address(0) });
  if (list.status !== 200) throw new Error(`llm.list answered ${list.status}: ${list.body}`);
  const models = (
    JSON.parse(list.body) as { result: { data: Array<{ id: string }> } }
  ).result.data.map((m) => m.id);
  const pick = () => models[Math.floor(Math.random() * models.length)]!;

  const vote = async (
    localAddress: string,
    cookie: string | undefined,
    llmId: string,
    value: number,
  ) => {
    const a = await call(edge, 'POST', '/trpc/vote.cast', {
      localAddress,
      cookie,
      body: { llmId, value },
    });
    if (a.status === 200) stats.votesAccepted++;
    // Both answer tRPC's error shape; the api's message names what it limits.
    else if (a.status === 429 && a.body.includes('Too many votes from')) stats.appRateLimited++;
    else if (a.status === 429) stats.edgeRateLimited++;
    else throw new Error(`vote.cast: ${a.status} ${a.body.slice(0, 200)}`);
    const set = (a.headers['set-cookie'] ?? []).find((c) => c.startsWith('vid='));
    return set ? set.split(';')[0]! : cookie;
  };

  const loops: Array<Promise<void>> = [];
  const every = (ms: number, what: string, act: () => Promise<void>) =>
    loops.push(
      (async () => {
        // Spread the loops' first runs so they do not all fire at once.
        await sleep(Math.random() * ms, undefined, { signal }).catch(() => undefined);
        while (!signal.aborted) {
          await act().catch(note(what));
          await sleep(ms, undefined, { signal }).catch(() => undefined);
        }
      })(),
    );

  // Voters: within the per-voter limit (one vote per 60 / limit seconds, plus slack); ups,
  // downs and retracts (a retract of a ballot they hold, or of none: "unchanged").
  const voteEveryMs = Math.ceil((60_000 / o.voteRateLimit) * 1.5);
  for (let i = 1; i <= o.voters; i++) {
    let cookie: string | undefined;
    const localAddress = address(i);
    every(voteEveryMs, `voter ${i}`, async () => {
      cookie = await vote(
        localAddress,
        cookie,
        pick(),
        [1, 1, -1, 0][Math.floor(Math.random() * 4)]!,
      );
    });
  }

  // One voter over the api's per-voter limit, in bursts below nginx's (burst 10): the api, not
  // the edge, refuses the rest.
  {
    let cookie: string | undefined;
    const localAddress = address(o.voters + 1);
    every(30_000, 'eager voter', async () => {
      for (let n = 0; n < o.voteRateLimit + 3; n++)
        cookie = await vote(localAddress, cookie, pick(), n % 2 ? 1 : -1);
    });
  }

  // Readers: the leaderboard (both sorts), the catalogue, trends, one model and its history.
  const reads = [
    () => query('rankings.list', { sort: 'score' }),
    () => query('rankings.list', { sort: 'wilson' }),
    () => query('llm.list', {}),
    () => query('rankings.trends', { hours: 24 }),
    () => query('llm.byId', { id: pick() }),
    () => query('llm.history', { id: pick(), days: 7 }),
  ];
  for (let i = 0; i < 4; i++) {
    const localAddress = address(o.voters + 10 + i);
    every(500, `reader ${i}`, async () => {
      for (const path of reads) {
        const a = await call(edge, 'GET', path(), { localAddress });
        if (a.status === 200 || a.status === 304) stats.reads++;
        else throw new Error(`${path()}: ${a.status} ${a.body.slice(0, 200)}`);
      }
    });
  }

  // Round trips reported by browsers, per transport.
  let reporter = 0;
  every(2_000, 'telemetry', async () => {
    for (const transport of ['ws', 'sse', 'polling'] as const) {
      const a = await call(edge, 'POST', '/trpc/telemetry.latency', {
        localAddress: address(o.voters + 20 + (reporter++ % 8)),
        body: { rttMs: 20 + Math.random() * 200, transport },
      });
      if (a.status === 200) stats.rttReports++;
    }
  });

  // WebSocket subscribers: the board and a model's page (the two live rooms).
  const sockets: WebSocket[] = [];
  const open = (i: number) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://${edge.host}/trpc`, {
        localAddress: address(o.voters + 40 + i),
      });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.on('message', (data: Buffer, isBinary) => {
        // tRPC's keep-alive: the server sends PING and closes a socket that does not answer.
        if (!isBinary && data.toString('utf8') === 'PING') ws.send('PONG');
        else stats.liveMessages++;
      });
      ws.on('close', (code) => {
        if (code !== 1000 && code !== 1005 && !signal.aborted) stats.closedByServer.push(code);
      });
      sockets.push(ws);
    });
  const subscribe = (ws: WebSocket, id: number, path: string, input: unknown) =>
    ws.send(JSON.stringify({ id, method: 'subscription', params: { path, input } }));
  for (let i = 0; i < o.subscribers; i++) {
    const ws = await open(i);
    subscribe(ws, 1, 'rankings.live', { sort: 'score' });
    subscribe(ws, 2, 'llm.live', { id: pick() });
  }
  // One socket asks for more live subscriptions than one socket may hold (WS_MAX_SUBSCRIPTIONS, 10).
  const greedy = await open(o.subscribers);
  for (let id = 1; id <= 11; id++) subscribe(greedy, id, 'rankings.live', { sort: 'score' });

  return {
    stats,
    async stop() {
      stopping.abort();
      await Promise.all(loops);
      for (const ws of sockets) ws.terminate();
    },
  };
}
