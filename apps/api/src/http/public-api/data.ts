import { getPublicDump, listPublicDumps } from '@llmpt/db';
import {
  PUBLIC_DATA_LICENCE,
  type Mover,
  type PublicDumps,
  type PublicHistory,
  type PublicModel,
  type PublicMovers,
  type PublicRankingRow,
  type PublicRankings,
  type PublicRankingsQuery,
  type RankingRow,
  publicDumpParamsSchema,
  publicHistoryQuerySchema,
  publicModelParamsSchema,
  publicMoversQuerySchema,
  publicRankingsQuerySchema,
} from '@llmpt/shared';
import { z } from 'zod';

import type { Deps } from '../../context.ts';
import { HistoryBoards } from '../../services/history-boards.ts';
import { modelHistory, modelStanding } from '../../services/model-reads.ts';
import { type CsvCell, toCsv } from './csv.ts';
import { type Answer, CACHE, badRequest, etagOf, invalidParams, notFound } from './respond.ts';

// The answers of GET /api/v1/...: the same services as the tRPC procedures (one source of truth),
// shaped by the schemas in @llmpt/shared's open-data.schema.ts (which the OpenAPI document is
// generated from). The 'hide-results' flag does not apply: it shapes what a voter sees on the
// page before voting; the same numbers are public here by design (open data).

const JSON_TYPE = 'application/json; charset=utf-8';
const CSV_TYPE = 'text/csv; charset=utf-8; header=present';

const licence = { ...PUBLIC_DATA_LICENCE };

/** Validated parameters, or a 400 naming each refused one. */
function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw invalidParams(result.error);
  return result.data;
}

function json(body: unknown, cacheControl: string): Answer {
  return { type: JSON_TYPE, body: JSON.stringify(body), cacheControl };
}

function csv(body: string, cacheControl: string, filename: string): Answer {
  return {
    type: CSV_TYPE,
    body,
    cacheControl,
    headers: { 'content-disposition': `inline; filename="${filename}"` },
  };
}

function publicRow(r: RankingRow): PublicRankingRow {
  return {
    model: r.llm,
    up: r.up,
    down: r.down,
    score: r.score,
    wilson: r.wilson,
    trending: r.trending,
    rank: r.rank,
    provisional: r.provisional,
    rankRange: r.rankRange,
  };
}

const RANKING_COLUMNS: Array<[string, (r: PublicRankingRow) => CsvCell]> = [
  ['rank', (r) => r.rank],
  ['model_id', (r) => r.model.id],
  ['model_name', (r) => r.model.name],
  ['vendor', (r) => r.model.vendor],
  ['up', (r) => r.up],
  ['down', (r) => r.down],
  ['score', (r) => r.score],
  ['wilson', (r) => r.wilson],
  ['trending', (r) => r.trending],
  ['provisional', (r) => r.provisional],
  ['rank_best', (r) => r.rankRange?.best ?? null],
  ['rank_worst', (r) => r.rankRange?.worst ?? null],
];

/**
 * Live boards already built, per process, by (sort, category, format), with the version they
 * were built at (`RankingsService.version()`: the feed's last diff and the catalogue): the same
 * rule as the tRPC response cache. Building one costs a board, a 40 KB JSON and a hash; a hit
 * costs a lookup. At most 3 sorts × 9 categories × 2 formats entries.
 */
type LiveBoards = Map<string, { version: string; answer: Answer }>;
const liveBoards = new WeakMap<Deps, LiveBoards>();

/** GET /api/v1/rankings?sort=&category=&at=&format= */
export async function rankings(deps: Deps, query: unknown): Promise<Answer> {
  const q = parse(publicRankingsQuerySchema, query);
  if (q.at !== undefined) return buildRankings(deps, q);
  const version = deps.rankings.version();
  if (version === null) return buildRankings(deps, q);
  let boards = liveBoards.get(deps);
  if (!boards) liveBoards.set(deps, (boards = new Map() as LiveBoards));
  const key = `${q.sort}|${q.category ?? ''}|${q.format}`;
  const kept = boards.get(key);
  if (kept?.version === version) return kept.answer;
  const answer = await buildRankings(deps, q);
  answer.etag = etagOf(answer.body);
  boards.set(key, { version, answer });
  return answer;
}

async function buildRankings(deps: Deps, q: PublicRankingsQuery): Promise<Answer> {
  let rows: RankingRow[];
  let hour: string | null = null;
  let cacheControl: string = CACHE.live;
  if (q.at !== undefined) {
    const at = new Date(q.at);
    if (at.getTime() > Date.now()) {
      throw badRequest(`"at" (${q.at}) is in the future: history ends now`, [
        { path: 'at', message: 'must not be in the future' },
      ]);
    }
    const board = await deps.history.asOf(at, q.sort, q.category);
    rows = board.rows;
    hour = board.hour;
    cacheControl = HistoryBoards.final(at) ? CACHE.past : CACHE.hourly;
  } else {
    rows = await deps.rankings.list({ sort: q.sort, category: q.category });
  }
  const body: PublicRankings = {
    sort: q.sort,
    category: q.category ?? null,
    hour,
    rules: {
      minVotes: deps.env.RANK_MIN_VOTES,
      trendingHalfLifeHours: deps.env.TRENDING_HALF_LIFE_HOURS,
    },
    licence,
    rows: rows.map(publicRow),
  };
  if (q.format === 'csv') {
    const name = `rankings-${q.sort}${q.category ? `-${q.category}` : ''}${hour ? `-${hour.slice(0, 13)}` : ''}.csv`;
    return csv(toCsv(RANKING_COLUMNS, body.rows), cacheControl, name);
  }
  return json(body, cacheControl);
}

async function knownModel(deps: Deps, params: unknown) {
  const { id } = parse(publicModelParamsSchema, params);
  const llm = await deps.catalogue.get(id);
  if (!llm) throw notFound(`No model with id "${id}"`);
  return llm;
}

/** GET /api/v1/models/{id}: the model and its live standing on the overall board by score. */
export async function model(deps: Deps, params: unknown, query: unknown): Promise<Answer> {
  parse(z.strictObject({}), query);
  const llm = await knownModel(deps, params);
  const row = await modelStanding(deps, llm);
  // Not on the board yet (added since the ranker's last tick): no votes, unranked.
  const standing = row
    ? publicRow(row)
    : {
        up: 0,
        down: 0,
        score: 0,
        wilson: 0,
        trending: 0,
        rank: null,
        provisional: false,
        rankRange: null,
      };
  const body: PublicModel = { ...standing, model: llm, licence };
  return json(body, CACHE.live);
}

/** GET /api/v1/models/{id}/history?days=&format= */
export async function history(deps: Deps, params: unknown, query: unknown): Promise<Answer> {
  const q = parse(publicHistoryQuerySchema, query);
  const llm = await knownModel(deps, params);
  const h = await modelHistory(deps, llm, q.days);
  if (q.format === 'csv') {
    const columns: Array<[string, (p: PublicHistory['points'][number]) => CsvCell]> = [
      ['hour', (p) => p.hour],
      ['up', (p) => p.up],
      ['down', (p) => p.down],
      ['score', (p) => p.score],
      ['rank', (p) => p.rank],
    ];
    return csv(toCsv(columns, h.points), CACHE.hourly, `history-${llm.id}-${q.days}d.csv`);
  }
  const body: PublicHistory = { ...h, licence };
  return json(body, CACHE.hourly);
}

/** GET /api/v1/movers?window=&limit=&format= */
export async function movers(deps: Deps, query: unknown): Promise<Answer> {
  const q = parse(publicMoversQuerySchema, query);
  const m = await deps.history.movers(q.window, q.limit);
  if (q.format === 'csv') {
    const rows = [
      ...m.risers.map((x) => ({ ...x, direction: 'riser' })),
      ...m.fallers.map((x) => ({ ...x, direction: 'faller' })),
    ];
    const columns: Array<[string, (x: Mover & { direction: string }) => CsvCell]> = [
      ['direction', (x) => x.direction],
      ['model_id', (x) => x.llmId],
      ['rank_before', (x) => x.rankBefore],
      ['rank_now', (x) => x.rankNow],
      ['rank_change', (x) => x.rankChange],
      ['score_before', (x) => x.scoreBefore],
      ['score_now', (x) => x.scoreNow],
      ['score_change', (x) => x.scoreChange],
    ];
    return csv(toCsv(columns, rows), CACHE.hourly, `movers-${q.window}.csv`);
  }
  const body: PublicMovers = { ...m, licence };
  return json(body, CACHE.hourly);
}

/** Days listed by GET /api/v1/dumps (newest first): more than a year. */
const DUMPS_LISTED = 400;

/** GET /api/v1/dumps: the daily dumps with their sizes, SHA-256 and the licence. */
export async function dumps(deps: Deps, query: unknown): Promise<Answer> {
  parse(z.strictObject({}), query);
  const list = await listPublicDumps(deps.reads(), { limit: DUMPS_LISTED });
  const body: PublicDumps = {
    licence,
    dumps: list.map((d) => ({
      day: d.day,
      rows: d.rows,
      csvBytes: d.csvBytes,
      jsonBytes: d.jsonBytes,
      csvSha256: d.csvSha256,
      jsonSha256: d.jsonSha256,
      createdAt: new Date(d.createdAt).toISOString(),
      csvUrl: `/api/v1/dumps/${d.day}.csv`,
      jsonUrl: `/api/v1/dumps/${d.day}.json`,
    })),
  };
  return json(body, CACHE.listing);
}

/** GET /api/v1/dumps/{day}.csv|.json: one day's dump as stored (ETag: its SHA-256). */
export async function dump(deps: Deps, file: string, query: unknown): Promise<Answer> {
  parse(z.strictObject({}), query);
  const match = /^(.*)\.(csv|json)$/.exec(file);
  if (!match) throw notFound(`No dump "${file}": ask for YYYY-MM-DD.csv or YYYY-MM-DD.json`);
  const format = match[2] as 'csv' | 'json';
  const { day } = parse(publicDumpParamsSchema, { day: match[1] });
  const stored = await getPublicDump(deps.reads(), day, format);
  if (!stored) throw notFound(`No dump for ${day}`);
  return {
    type: format === 'csv' ? CSV_TYPE : JSON_TYPE,
    body: stored.body,
    etag: `"${stored.sha256}"`,
    cacheControl: CACHE.past,
    headers: {
      'content-disposition': `attachment; filename="llmpt-votes-${day}.${format}"`,
      'last-modified': new Date(stored.createdAt).toUTCString(),
    },
  };
}
