import { Validator } from '@seriousme/openapi-schema-validator';
import { type VoteEvent, applyVoteEvents, rollHourlyHistory, upsertPublicDump } from '@llmpt/db';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { csvCell } from '../src/http/public-api/csv.ts';
import { type TestApi, Visitor, startTestApi } from './helpers.ts';

const H = 3_600_000;
const LIMIT = 40;

let api: TestApi;
let ids: string[];
let doc: OpenApiDoc;
let ajv: Ajv2020;
let address = 0;

interface OpenApiDoc {
  paths: Record<string, { get: { responses: Record<string, Response200> } }>;
  components: { schemas: Record<string, unknown> };
}
interface Response200 {
  content?: Record<string, { schema: object }>;
}

/** A client address of its own (the api trusts X-Forwarded-For from 127.0.0.1 here). */
const freshAddress = () => `10.0.${Math.floor(++address / 250)}.${(address % 250) + 1}`;

function get(path: string, headers: Record<string, string> = {}, from = freshAddress()) {
  return fetch(`${api.baseUrl}${path}`, { headers: { 'x-forwarded-for': from, ...headers } });
}

const validators = new Map<string, ValidateFunction>();
/** The document's schema of `path`'s answer with `status` (JSON), compiled once. */
function validatorFor(path: string, status: string): ValidateFunction {
  const key = `${path} ${status}`;
  let v = validators.get(key);
  if (!v) {
    const schema = doc.paths[path]?.get.responses[status]?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`the document has no JSON ${status} answer for ${path}`);
    // $refs point at #/components/schemas/…: resolved against this wrapper's root.
    v = ajv.compile({ ...schema, components: doc.components });
    validators.set(key, v);
  }
  return v;
}

/** GETs `url`, checks status and that the JSON answer matches the document; returns it. */
async function checked(docPath: string, url: string, status = 200): Promise<unknown> {
  const res = await get(url);
  expect(res.status, url).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  const body: unknown = await res.json();
  const validate = validatorFor(docPath, String(status));
  expect(validate(body), `${url}: ${JSON.stringify(validate.errors)}`).toBe(true);
  return body;
}

let seq = 0;
function upvote(voterId: string, llmId: string): VoteEvent {
  seq += 1;
  return {
    eventId: `0:${Date.now()}-${seq}`,
    voterId,
    llmId,
    value: 1,
    prevValue: 0,
    createdAt: new Date(),
    seq,
  };
}

beforeAll(async () => {
  api = await startTestApi({ TRUST_PROXY: '127.0.0.1', PUBLIC_API_RATE_LIMIT: String(LIMIT) });
  ids = (await api.deps.catalogue.all()).map((l) => l.id);
  const [a, b] = ids as [string, string];
  // Live tallies through the real vote path: a 2 up, b 1 down.
  for (const [i, llmId, value] of [
    [1, a, 1],
    [2, a, 1],
    [3, b, -1],
  ] as const) {
    await new Visitor(api.baseUrl)
      .client()
      .vote.cast.mutate({ llmId, value })
      .catch((err: unknown) => {
        throw new Error(`vote ${i} failed: ${String(err)}`);
      });
  }
  // History: 30 h ago and now (Postgres side).
  const { db } = api.deps;
  await applyVoteEvents(db, [upvote('v1', a), upvote('v2', b)]);
  await rollHourlyHistory(db, new Date(Date.now() - 30 * H));
  await applyVoteEvents(db, [upvote('v3', b), upvote('v4', b)]);
  await rollHourlyHistory(db, new Date());
  await upsertPublicDump(db, {
    day: '2026-11-30',
    rows: 1,
    csv: 'hour,model_id,up,down\r\n2026-11-30T10:00:00.000Z,a,1,0\r\n',
    json: '[{"hour":"2026-11-30T10:00:00.000Z","modelId":"a","up":1,"down":0}]',
  });

  doc = (await (await get('/api/v1/openapi.json')).json()) as OpenApiDoc;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: its default export arrives as the module object under ESM.
  (formats as unknown as { default: (ajv: Ajv2020) => void }).default(ajv);
});
afterAll(async () => {
  await api?.close();
});

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document generated from the schemas', async () => {
    const result = await new Validator().validate(
      doc as unknown as Parameters<Validator['validate']>[0],
    );
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/dumps',
      '/dumps/{file}',
      '/models/{id}',
      '/models/{id}/history',
      '/movers',
      '/openapi.json',
      '/rankings',
    ]);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Rankings', 'RankingRow', 'Model', 'Error', 'Movers', 'Dumps']),
    );
  });
});

describe('every endpoint answers what the document says', () => {
  it('rankings: every sort, a category, live and as of an hour', async () => {
    for (const sort of ['score', 'wilson', 'trending']) {
      const live = (await checked('/rankings', `/api/v1/rankings?sort=${sort}`)) as {
        rows: Array<{ model: { id: string }; rank: number | null; score: number }>;
        hour: string | null;
      };
      expect(live.hour).toBeNull();
      expect(live.rows).toHaveLength(ids.length);
    }
    const board = (await checked('/rankings', '/api/v1/rankings')) as {
      rows: Array<{ model: { id: string }; rank: number | null; score: number }>;
      licence: { id: string };
    };
    expect(board.rows[0]).toMatchObject({ model: { id: ids[0] }, rank: 1, score: 2 });
    expect(board.licence.id).toBe('CC-BY-4.0');
    await checked('/rankings', '/api/v1/rankings?category=coding&sort=wilson');
    const past = (await checked(
      '/rankings',
      `/api/v1/rankings?at=${new Date(Date.now() - 30 * H).toISOString()}`,
    )) as { hour: string; rows: unknown[] };
    expect(past.hour).toBe(new Date(Math.floor((Date.now() - 30 * H) / H) * H).toISOString());
    expect(past.rows).toHaveLength(ids.length);
  });

  it('models/{id}, its history, movers, dumps', async () => {
    const [a, b] = ids as [string, string];
    const model = await checked('/models/{id}', `/api/v1/models/${a}`);
    expect(model).toMatchObject({ model: { id: a }, up: 2, down: 0, rank: 1 });
    const history = (await checked(
      '/models/{id}/history',
      `/api/v1/models/${b}/history?days=2`,
    )) as {
      points: Array<{ up: number }>;
    };
    expect(history.points.map((p) => p.up)).toEqual([1, 3]);
    for (const window of ['24h', '7d']) {
      await checked('/movers', `/api/v1/movers?window=${window}&limit=3`);
    }
    const dumps = (await checked('/dumps', '/api/v1/dumps')) as {
      dumps: Array<{ day: string; jsonSha256: string; jsonUrl: string }>;
    };
    expect(dumps.dumps.map((d) => d.day)).toEqual(['2026-11-30']);
    const dump = await get(dumps.dumps[0]!.jsonUrl);
    expect(dump.status).toBe(200);
    expect(dump.headers.get('etag')).toBe(`"${dumps.dumps[0]!.jsonSha256}"`);
    expect(dump.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(await dump.json()).toEqual([
      { hour: '2026-11-30T10:00:00.000Z', modelId: 'a', up: 1, down: 0 },
    ]);
    const csv = await get('/api/v1/dumps/2026-11-30.csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await csv.text()).toContain('2026-11-30T10:00:00.000Z,a,1,0');
  });

  it('answers what the tRPC procedures answer (one source of truth)', async () => {
    const client = new Visitor(api.baseUrl).client();
    // (rankings.list's type includes the sealed rows, with null tallies: not served here.)
    const pick = (r: {
      rank: number | null;
      up: number | null;
      down: number | null;
      trending: number | null;
    }) => [r.rank, r.up, r.down, r.trending];
    const rest = (await (await get('/api/v1/rankings?sort=wilson')).json()) as {
      rows: Array<{
        model: { id: string };
        rank: number | null;
        up: number;
        down: number;
        trending: number;
      }>;
    };
    const trpc = await client.rankings.list.query({ sort: 'wilson' });
    expect(rest.rows.map((r) => [r.model.id, ...pick(r)])).toEqual(
      trpc.map((r) => [r.llm.id, ...pick(r)]),
    );
    const at = new Date(Date.now() - 30 * H).toISOString();
    const past = (await (await get(`/api/v1/rankings?at=${at}&sort=trending`)).json()) as {
      hour: string;
      rows: typeof rest.rows;
    };
    const asOf = await client.rankings.asOf.query({ at, sort: 'trending' });
    expect(past.hour).toBe(asOf.hour);
    expect(past.rows.map((r) => [r.model.id, ...pick(r)])).toEqual(
      asOf.rows.map((r) => [r.llm.id, ...pick(r)]),
    );
    const movers = (await (await get('/api/v1/movers?window=7d')).json()) as object;
    expect(movers).toMatchObject(await client.rankings.movers.query({ window: '7d' }));
  });

  it('refuses bad parameters with 400 and names them', async () => {
    const cases: Array<[string, string, string]> = [
      ['/rankings', '/api/v1/rankings?sort=best', 'sort'],
      ['/rankings', '/api/v1/rankings?category=poetry', 'category'],
      ['/rankings', '/api/v1/rankings?at=yesterday', 'at'],
      ['/rankings', `/api/v1/rankings?at=${new Date(Date.now() + 2 * H).toISOString()}`, 'at'],
      ['/rankings', '/api/v1/rankings?format=xml', 'format'],
      ['/rankings', '/api/v1/rankings?limit=5', ''],
      ['/models/{id}', '/api/v1/models/Not%20An%20Id', 'id'],
      ['/models/{id}/history', `/api/v1/models/${ids[0]}/history?days=0`, 'days'],
      ['/models/{id}/history', `/api/v1/models/${ids[0]}/history?days=91`, 'days'],
      ['/movers', '/api/v1/movers?window=1h', 'window'],
      ['/movers', '/api/v1/movers?limit=50', 'limit'],
      ['/dumps/{file}', '/api/v1/dumps/2026-02-30.csv', 'day'],
    ];
    for (const [docPath, url, param] of cases) {
      const body = (await checked(docPath, url, 400)) as {
        error: { code: string; message: string; issues: Array<{ path: string }> };
      };
      expect(body.error.code).toBe('BAD_REQUEST');
      expect(
        body.error.issues.map((i) => i.path),
        url,
      ).toContain(param);
    }
  });

  it('answers an unknown model, dump or endpoint with 404', async () => {
    const none = (await checked('/models/{id}', '/api/v1/models/no-such-model', 404)) as {
      error: { message: string };
    };
    expect(none.error.message).toMatch(/no-such-model/);
    await checked('/models/{id}/history', '/api/v1/models/no-such-model/history', 404);
    await checked('/dumps/{file}', '/api/v1/dumps/2020-01-01.json', 404);
    expect((await get('/api/v1/nothing-here')).status).toBe(404);
  });
});

describe('CSV', () => {
  it('parses, with a header row, and matches the JSON', async () => {
    for (const sort of ['score', 'trending']) {
      const json = (await (await get(`/api/v1/rankings?sort=${sort}`)).json()) as {
        rows: Array<{
          model: { id: string; name: string };
          rank: number | null;
          up: number;
          down: number;
          score: number;
          trending: number;
          rankRange: { best: number; worst: number } | null;
        }>;
      };
      const res = await get(`/api/v1/rankings?sort=${sort}&format=csv`);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      const rows = parseCsv<Record<string, string>>(await res.text(), { columns: true });
      expect(rows).toHaveLength(json.rows.length);
      rows.forEach((r, i) => {
        const j = json.rows[i]!;
        expect([r.model_id, r.model_name, r.rank, r.up, r.down, r.score, r.trending]).toEqual([
          j.model.id,
          j.model.name,
          j.rank === null ? '' : String(j.rank),
          String(j.up),
          String(j.down),
          String(j.score),
          String(j.trending),
        ]);
        expect(r.rank_best).toBe(j.rankRange ? String(j.rankRange.best) : '');
      });
    }
    const history = await get(`/api/v1/models/${ids[1]}/history?days=2&format=csv`);
    expect(parseCsv(await history.text(), { columns: true })).toMatchObject([
      // 30 h ago a and b had one vote each (tied first); now b leads with 3.
      { up: '1', rank: '1' },
      { up: '3', rank: '1' },
    ]);
  });

  it('defuses cells a spreadsheet would run as a formula (OWASP), and quotes text', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+1')).toBe(`"'+1"`);
    expect(csvCell('-2+3')).toBe(`"'-2+3"`);
    expect(csvCell('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvCell('\tx')).toBe(`"'\tx"`);
    expect(csvCell('GPT-4o, "omni"')).toBe(`"GPT-4o, ""omni"""`);
    // Numbers are ours, written bare: a negative score stays a number.
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(null)).toBe('');
    const parsed = parseCsv<{ name: string }>(`name\r\n${csvCell('=1+2, "x"')}\r\n`, {
      columns: true,
    });
    expect(parsed[0]!.name).toBe(`'=1+2, "x"`);
  });
});

describe('caching and limits', () => {
  it('answers a matching If-None-Match with 304 and no body', async () => {
    const first = await get('/api/v1/rankings');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=5');
    const again = await get('/api/v1/rankings', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    // nginx makes the tag weak when it gzips: the weak form matches too.
    expect((await get('/api/v1/rankings', { 'if-none-match': `W/${etag}` })).status).toBe(304);
    expect((await get('/api/v1/rankings', { 'if-none-match': '"other"' })).status).toBe(200);
    // A finished hour is kept a day.
    const past = await get(`/api/v1/rankings?at=${new Date(Date.now() - 30 * H).toISOString()}`);
    expect(past.headers.get('cache-control')).toBe('public, max-age=86400');
  });

  it('is open to any origin (CORS, preflight, cross-origin resource policy)', async () => {
    const res = await get('/api/v1/movers');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const pre = await fetch(`${api.baseUrl}/api/v1/rankings`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://example.org',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'if-none-match',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/If-None-Match/);
  });

  it('refuses a request past the minute’s limit of one address with 429 and Retry-After', async () => {
    const from = '10.99.0.1';
    for (let i = 0; i < LIMIT; i += 1) {
      expect((await get('/api/v1/openapi.json', {}, from)).status).toBe(200);
    }
    const refused = await get('/api/v1/rankings', {}, from);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body: unknown = await refused.json();
    const validate = validatorFor('/rankings', '429');
    expect(validate(body)).toBe(true);
    expect(body).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    // Another address is not affected.
    expect((await get('/api/v1/rankings', {}, '10.99.0.2')).status).toBe(200);
  });
});
