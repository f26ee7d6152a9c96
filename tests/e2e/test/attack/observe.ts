import type { AppRouter } from '@llmpt/api/router';
import type { Database, Kysely } from '@llmpt/db';
import { ADMIN_CSRF_HEADER } from '@llmpt/shared';
import type {
  IntegrityConfirmInput,
  IntegrityFlag,
  IntegrityList,
  IntegrityListInput,
  IntegritySummary,
} from '@llmpt/shared';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import WebSocket from 'ws';

/**
 * Where the attack is watched from: the public leaderboard of each api process (HTTP and a live
 * subscriber, "every screen"), Postgres, and an admin's review queue.
 */

type Entry = { llmId: string; up: number; down: number };
type Message =
  | { type: 'snapshot'; snapshot: { entries: Entry[] } }
  | { type: 'diff'; diff: { entries: Entry[] } }
  | { type: 'config' };

/** A voter's open leaderboard on one api process: a snapshot, then diffs applied in order. */
export interface LiveScreen {
  /** The board now: model → score (up − down). */
  score(llmId: string): number | undefined;
  /** When (performance.now()) the model's score first equalled `score` after `since`; null if not yet. */
  reached(llmId: string, score: number, since: number): number | null;
  stop(): Promise<void>;
}

export function openScreen(baseUrl: string): LiveScreen {
  const client = createWSClient({
    url: `${baseUrl.replace('http', 'ws')}/trpc`,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    retryDelayMs: () => 100,
  });
  const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client })] });
  const board = new Map<string, number>();
  /** Every score each model showed, with when it arrived. */
  const history = new Map<string, Array<{ at: number; score: number }>>();
  const apply = (e: Entry, at: number) => {
    board.set(e.llmId, e.up - e.down);
    const h = history.get(e.llmId) ?? [];
    h.push({ at, score: e.up - e.down });
    history.set(e.llmId, h);
  };
  const sub = trpc.rankings.live.subscribe(
    {},
    {
      onData: (t) => {
        const at = performance.now();
        const { data } = t as unknown as { data: Message };
        if (data.type === 'snapshot') {
          board.clear();
          for (const e of data.snapshot.entries) apply(e, at);
        } else if (data.type === 'diff') {
          for (const e of data.diff.entries) apply(e, at);
        }
      },
    },
  );
  return {
    score: (llmId) => board.get(llmId),
    reached: (llmId, score, since) =>
      history.get(llmId)?.find((h) => h.at > since && h.score === score)?.at ?? null,
    async stop() {
      sub.unsubscribe();
      await client.close();
    },
  };
}

/** A model's score on rankings.list of one api process (what a page load shows). */
export async function listedScore(baseUrl: string, llmId: string): Promise<number | null> {
  const res = await fetch(
    `${baseUrl}/trpc/rankings.list?input=${encodeURIComponent(JSON.stringify({ sort: 'score' }))}`,
  );
  const body = (await res.json()) as {
    result: { data: Array<{ llm: { id: string }; up: number | null; down: number | null }> };
  };
  const row = body.result.data.find((r) => r.llm.id === llmId);
  return row?.up == null || row.down == null ? null : row.up - row.down;
}

/** integrity.summary of one api process: the public figures of removed votes. */
export async function publicSummary(baseUrl: string): Promise<IntegritySummary> {
  const res = await fetch(`${baseUrl}/trpc/integrity.summary`);
  if (!res.ok) throw new Error(`integrity.summary: ${res.status}`);
  return ((await res.json()) as { result: { data: IntegritySummary } }).result.data;
}

/** The model's trigger-maintained counts in Postgres (what the worker flushed). */
export async function pgScore(db: Kysely<Database>, llmId: string): Promise<number> {
  const row = await db
    .selectFrom('llm_vote_counts')
    .select(['upvotes', 'downvotes'])
    .where('llm_id', '=', llmId)
    .executeTakeFirst();
  return Number(row?.upvotes ?? 0) - Number(row?.downvotes ?? 0);
}

/** The `votes` rows (current ballots) of these voters on one model, by voter id. */
export async function pgBallots(
  db: Kysely<Database>,
  llmId: string,
  voterIds: string[],
): Promise<Map<string, { value: number; voidedBy: string | null }>> {
  const out = new Map<string, { value: number; voidedBy: string | null }>();
  for (let i = 0; i < voterIds.length; i += 500) {
    const rows = await db
      .selectFrom('votes')
      .select(['voter_id', 'value', 'voided_by'])
      .where('llm_id', '=', llmId)
      .where('voter_id', 'in', voterIds.slice(i, i + 500))
      .execute();
    for (const r of rows)
      out.set(r.voter_id, {
        value: Number(r.value),
        voidedBy: r.voided_by === null ? null : String(r.voided_by),
      });
  }
  return out;
}

/** Ballots of these voters that any flag holds or held voided (not restored). */
export async function pgFlaggedBallots(
  db: Kysely<Database>,
  voterIds: string[],
): Promise<Array<{ voterId: string; llmId: string; flagId: string; state: string }>> {
  const out: Array<{ voterId: string; llmId: string; flagId: string; state: string }> = [];
  for (let i = 0; i < voterIds.length; i += 500) {
    const rows = await db
      .selectFrom('integrity_flag_votes')
      .select(['voter_id', 'llm_id', 'flag_id', 'state'])
      .where('voter_id', 'in', voterIds.slice(i, i + 500))
      .where('state', '<>', 'restored')
      .execute();
    for (const r of rows)
      out.push({ voterId: r.voter_id, llmId: r.llm_id, flagId: String(r.flag_id), state: r.state });
  }
  return out;
}

/** An admin signed in over HTTP (admin.auth.signIn: cookie + CSRF token, the site's Origin). */
export class AdminSession {
  private constructor(
    private readonly baseUrl: string,
    private readonly headers: Record<string, string>,
  ) {}

  /**
   * Signs in on `baseUrl` with an existing account (tests make it with the api's own argon2id
   * hash, the bench with `npm run admin:create`).
   */
  static async signIn(baseUrl: string, username: string, password: string): Promise<AdminSession> {
    const res = await fetch(`${baseUrl}/trpc/admin.auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: baseUrl },
      body: JSON.stringify({ username, password }),
    });
    const body = (await res.json()) as { result?: { data: { csrfToken: string } } };
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('llmpt_admin='));
    if (!res.ok || !body.result || !cookie)
      throw new Error(`admin.auth.signIn: ${res.status} ${JSON.stringify(body)}`);
    return new AdminSession(baseUrl, {
      origin: baseUrl,
      cookie,
      [ADMIN_CSRF_HEADER]: body.result.data.csrfToken,
    });
  }

  private async call<T>(path: string, type: 'query' | 'mutation', input: unknown): Promise<T> {
    const url = new URL(`${this.baseUrl}/trpc/${path}`);
    if (type === 'query') url.searchParams.set('input', JSON.stringify(input));
    const res = await fetch(url, {
      method: type === 'query' ? 'GET' : 'POST',
      headers: {
        ...this.headers,
        ...(type === 'mutation' ? { 'content-type': 'application/json' } : {}),
      },
      body: type === 'mutation' ? JSON.stringify(input) : undefined,
    });
    const body = (await res.json()) as { result?: { data: T }; error?: { message?: string } };
    if (!res.ok || !body.result)
      throw new Error(`${path}: ${res.status} ${body.error?.message ?? JSON.stringify(body)}`);
    return body.result.data;
  }

  /** Every flag (all statuses), newest first, through the keyset pages. */
  async flags(status: IntegrityListInput['status'] = 'all'): Promise<IntegrityFlag[]> {
    const out: IntegrityFlag[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await this.call<IntegrityList>('admin.integrity.list', 'query', {
        status,
        limit: 100,
        ...(before ? { before } : {}),
      });
      out.push(...page.flags);
      if (page.next === null) return out;
      before = page.next;
    }
  }

  confirm(input: IntegrityConfirmInput): Promise<IntegrityFlag> {
    return this.call('admin.integrity.confirm', 'mutation', input);
  }

  dismiss(flagId: number): Promise<IntegrityFlag> {
    return this.call('admin.integrity.dismiss', 'mutation', { flagId });
  }
}

/** The flags holding votes on `llmId` (the attack's, when it is the attack's target). */
export function flagsOn(flags: IntegrityFlag[], llmId: string): IntegrityFlag[] {
  return flags.filter((f) => f.byModel.some((m) => m.llmId === llmId && m.votes > 0));
}

/** Votes on `llmId` held by these flags. */
export function heldOn(flags: IntegrityFlag[], llmId: string): number {
  return flags.reduce((n, f) => n + (f.byModel.find((m) => m.llmId === llmId)?.votes ?? 0), 0);
}
