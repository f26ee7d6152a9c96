import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import WebSocket from 'ws';

import type { AppRouter } from '@llmpt/api/router';

import { Voter } from './stack.ts';

type Message =
  | { type: 'snapshot'; snapshot: { id: string; entries: Entry[] } }
  | { type: 'diff'; diff: { id: string; entries: Entry[] } }
  /** Admin changes (catalogue, flags): nothing for the board's state. */
  | { type: 'config' };
export type Entry = {
  llmId: string;
  up: number;
  down: number;
  ranks: Record<string, number | null>;
};

/** A live board as a browser keeps it: a snapshot, then diffs applied in order. */
export function follow(baseUrl: string, lastEventId?: string) {
  const client = createWSClient({
    url: `${baseUrl.replace('http', 'ws')}/trpc`,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    retryDelayMs: () => 100,
  });
  const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client })] });
  const board = new Map<string, Entry>();
  const state = { lastId: '', diffs: 0, snapshots: 0, board };
  const sub = trpc.rankings.live.subscribe(lastEventId ? { lastEventId } : {}, {
    onData: (t) => {
      const { id, data } = t as unknown as { id: string; data: Message };
      if (data.type === 'config') return;
      if (data.type === 'snapshot') {
        board.clear();
        state.snapshots++;
        for (const e of data.snapshot.entries) board.set(e.llmId, e);
      } else {
        state.diffs++;
        for (const e of data.diff.entries) board.set(e.llmId, e);
      }
      state.lastId = id;
    },
  });
  return {
    state,
    async stop() {
      sub.unsubscribe();
      await client.close();
    },
  };
}

export type Board = Record<string, [number, number, number | null]>;

export async function serverBoard(baseUrl: string): Promise<Board> {
  const rows = await new Voter().client(baseUrl).rankings.list.query({ sort: 'score' });
  return Object.fromEntries(
    rows.map((r) => {
      // No flag is on here: a sealed row ('hide-results') would be a bug, not a board to compare.
      if (r.up === null) throw new Error(`rankings.list answered a sealed row for ${r.llm.id}`);
      return [r.llm.id, [r.up, r.down, r.rank]];
    }),
  );
}

export function boardOf(state: { board: Map<string, Entry> }): Board {
  return Object.fromEntries(
    [...state.board.values()].map((e) => [e.llmId, [e.up, e.down, e.ranks.score ?? null]]),
  );
}
