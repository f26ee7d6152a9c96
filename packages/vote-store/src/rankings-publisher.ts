import { readFileSync } from 'node:fs';

import type { RankingsDiff, RankingsSnapshot } from '@llmpt/shared';
import type { Redis, Result } from 'ioredis';

import type { RankingsKeys } from './keys.ts';

const publishLua = readFileSync(new URL('./lua/publish-rankings-2.lua', import.meta.url), 'utf8');

/** Connections the script is already defined on. */
const defined = new WeakSet<Redis>();

declare module 'ioredis' {
  interface RedisCommander<Context> {
    llmptPublishRankings(
      diffs: string,
      snapshot: string,
      diffJson: string,
      snapshotJson: string,
      maxLen: string,
    ): Result<string, Context>;
  }
}

/** Diffs kept in the stream: how far behind a reconnecting client can be and still resume. */
export const DEFAULT_RANKINGS_STREAM_MAXLEN = 2000;

/** A diff or snapshot before publishing: its id is the stream id Redis assigns. */
export type RankingsDiffBody = Omit<RankingsDiff, 'id'>;
export type RankingsSnapshotBody = Omit<RankingsSnapshot, 'id'>;

/** A stream entry as ioredis returns it from XRANGE / XREAD: id and flat field list. */
export type RankingsStreamEntry = [id: string, fields: string[]];

/**
 * Appends a diff to the rankings stream and replaces the snapshot with the state it leads to,
 * in one atomic script; returns the diff's id (also the new snapshot's id). Only the ranker
 * leader calls this.
 * @see ./lua/publish-rankings-2.lua
 */
export async function publishRankings(
  redis: Redis,
  keys: RankingsKeys,
  diff: RankingsDiffBody,
  snapshot: RankingsSnapshotBody,
  opts: { maxLen?: number } = {},
): Promise<string> {
  if (!defined.has(redis)) {
    redis.defineCommand('llmptPublishRankings', { numberOfKeys: 2, lua: publishLua });
    defined.add(redis);
  }
  // Only the body's own fields: an id passed in by mistake must not shadow the stream id.
  const diffJson = JSON.stringify({ at: diff.at, entries: diff.entries });
  const snapshotJson = JSON.stringify(
    snapshot.rules === undefined
      ? { at: snapshot.at, entries: snapshot.entries }
      : { at: snapshot.at, entries: snapshot.entries, rules: snapshot.rules },
  );
  return redis.llmptPublishRankings(
    keys.diffs,
    keys.snapshot,
    diffJson,
    snapshotJson,
    String(opts.maxLen ?? DEFAULT_RANKINGS_STREAM_MAXLEN),
  );
}

function parseBody(json: string, where: string): RankingsSnapshotBody {
  const body = JSON.parse(json) as Partial<RankingsSnapshotBody> | null;
  if (typeof body?.at !== 'number' || !Array.isArray(body.entries)) {
    throw new Error(`malformed rankings payload in ${where}`);
  }
  const rules = body.rules;
  if (
    rules !== undefined &&
    (typeof rules?.minVotes !== 'number' || typeof rules.trendingHalfLifeHours !== 'number')
  ) {
    throw new Error(`malformed rankings rules in ${where}`);
  }
  return rules === undefined
    ? { at: body.at, entries: body.entries }
    : { at: body.at, entries: body.entries, rules };
}

/**
 * The latest snapshot (every active model's entry as of diff `id`, with the rules its ranks and
 * trending values were computed by), or null before the ranker has published anything.
 * @see publishRankings
 */
export async function readRankingsSnapshot(
  redis: Redis,
  keys: RankingsKeys,
): Promise<RankingsSnapshot | null> {
  const raw = await redis.get(keys.snapshot);
  if (raw === null) return null;
  const nl = raw.indexOf('\n');
  if (nl <= 0) throw new Error(`malformed rankings snapshot in ${keys.snapshot}`);
  const id = raw.slice(0, nl);
  return { id, ...parseBody(raw.slice(nl + 1), `${keys.snapshot} ${id}`) };
}

/**
 * One rankings stream entry as a diff (field `d` holds its JSON; the stream id is its id).
 * @see publishRankings
 */
export function parseDiffEntry([id, fields]: RankingsStreamEntry): RankingsDiff {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'd') {
      const { at, entries } = parseBody(fields[i + 1]!, `rankings diff ${id}`);
      return { id, at, entries };
    }
  }
  throw new Error(`rankings diff ${id} has no "d" field`);
}

/**
 * The diffs published after `afterId`, oldest first, at most `count` (call again from the last
 * id for more). Returns null when the diffs right after `afterId` may be gone, so the client
 * must start over from a snapshot:
 * - `afterId` is older than the oldest retained diff (the stream was trimmed past it);
 * - `afterId` is newer than the newest diff (not an id of this stream: a wiped Redis);
 * - the stream is empty, unless `afterId` is '0-0' (the id of the empty snapshot).
 * `afterId` equal to the newest diff's id gives [].
 * @see readRankingsSnapshot
 */
export async function readDiffsAfter(
  redis: Redis,
  keys: RankingsKeys,
  afterId: string,
  count: number,
): Promise<RankingsDiff[] | null> {
  // One MULTI, so a publish that trims between the two reads cannot open an unnoticed gap.
  // The first read is the newest entry at or before afterId: if it exists, trimming (which only
  // removes the oldest entries) has not reached past afterId, and the second read is complete.
  const replies = await redis
    .multi()
    .xrevrange(keys.diffs, afterId, '-', 'COUNT', 1)
    .xrange(keys.diffs, `(${afterId}`, '+', 'COUNT', Math.max(1, count))
    .exec();
  if (!replies) throw new Error('readDiffsAfter: transaction aborted');
  const [[errAt, atOrBefore], [errAfter, after]] = replies as [
    [Error | null, RankingsStreamEntry[]],
    [Error | null, RankingsStreamEntry[]],
  ];
  if (errAt) throw errAt;
  if (errAfter) throw errAfter;

  const anchor = atOrBefore[0];
  if (!anchor) return after.length === 0 && afterId === '0-0' ? [] : null;
  if (after.length === 0 && anchor[0] !== afterId) return null;
  return after.map(parseDiffEntry);
}
