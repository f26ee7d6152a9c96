import {
  PUBLIC_DATA_LICENCE,
  publicDumpsSchema,
  publicErrorSchema,
  publicHistoryQuerySchema,
  publicHistorySchema,
  publicModelParamsSchema,
  publicModelSchema,
  publicMoversQuerySchema,
  publicMoversSchema,
  publicRankingsQuerySchema,
  publicRankingsSchema,
} from '@llmpt/shared';
import { z } from 'zod';
import {
  type ZodOpenApiOperationObject,
  type ZodOpenApiResponsesObject,
  createDocument,
} from 'zod-openapi';

// The OpenAPI document of /api/v1, GENERATED from the zod schemas the api validates and answers
// with (@llmpt/shared open-data.schema.ts) by zod-openapi: never a second, hand-written copy.

const CSV = { 'text/csv': { schema: z.string().meta({ description: 'CSV with a header row' }) } };

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: publicErrorSchema } },
});

const cacheHeaders = {
  ETag: {
    description: 'Validator: send it back in If-None-Match for a 304',
    schema: { type: 'string' },
  },
  'Cache-Control': { description: 'How long the answer may be kept', schema: { type: 'string' } },
} as const;

/** What every operation may answer beyond its 200. */
function responses(
  ok: ZodOpenApiResponsesObject['200'],
  notFound = false,
): ZodOpenApiResponsesObject {
  return {
    '200': ok,
    '304': { description: 'Not modified (If-None-Match named the current ETag)' },
    '400': error('A parameter was refused (each one named in `issues`)'),
    ...(notFound ? { '404': error('No such model or dump') } : {}),
    '429': {
      ...error('Too many requests from this address: try again after Retry-After seconds'),
      headers: { 'Retry-After': { schema: { type: 'integer' } } },
    },
  };
}

function op(
  summary: string,
  ok: { schema: z.ZodType; csv?: boolean; description: string },
  extra: Partial<ZodOpenApiOperationObject> = {},
  notFound = false,
): ZodOpenApiOperationObject {
  return {
    summary,
    ...extra,
    responses: responses(
      {
        description: ok.description,
        headers: cacheHeaders,
        content: { 'application/json': { schema: ok.schema }, ...(ok.csv ? CSV : {}) },
      },
      notFound,
    ),
  };
}

const modelPath = publicModelParamsSchema;

let cached: string | null = null;

/** The document, serialized once per process (it depends on nothing at run time). */
export function openApiJson(): string {
  cached ??= JSON.stringify(openApiDocument());
  return cached;
}

export function openApiDocument() {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'LLM Popularity Tracker: open data',
      version: '1.0.0',
      description:
        'Read-only, no key. Votes, ranks and history of the public LLM leaderboard, as JSON or ' +
        `CSV. Licence: ${PUBLIC_DATA_LICENCE.name} (${PUBLIC_DATA_LICENCE.url}). Rate limited ` +
        'per client address (429 with Retry-After); every answer carries an ETag and ' +
        'Cache-Control. The "hide results until you vote" experiment of the site does not apply here.',
      license: { name: PUBLIC_DATA_LICENCE.name, identifier: PUBLIC_DATA_LICENCE.id },
    },
    servers: [{ url: '/api/v1' }],
    paths: {
      '/rankings': {
        get: op(
          'The leaderboard (live, or as of a past hour with ?at=)',
          { schema: publicRankingsSchema, csv: true, description: 'The board, in display order' },
          { requestParams: { query: publicRankingsQuerySchema } },
        ),
      },
      '/models/{id}': {
        get: op(
          'One model and its live standing on the overall board (by score)',
          { schema: publicModelSchema, description: 'The model' },
          { requestParams: { path: modelPath } },
          true,
        ),
      },
      '/models/{id}/history': {
        get: op(
          'One model’s hourly tally and overall rank, oldest first',
          { schema: publicHistorySchema, csv: true, description: 'Hourly points' },
          { requestParams: { path: modelPath, query: publicHistoryQuerySchema } },
          true,
        ),
      },
      '/movers': {
        get: op(
          'The biggest movers over 24 h or 7 d (rank, then score)',
          { schema: publicMoversSchema, csv: true, description: 'Risers and fallers' },
          { requestParams: { query: publicMoversQuerySchema } },
        ),
      },
      '/dumps': {
        get: op('The daily dumps (votes per model per hour), newest first', {
          schema: publicDumpsSchema,
          description: 'Days with their sizes, SHA-256 and links',
        }),
      },
      '/dumps/{file}': {
        get: {
          summary: 'One day’s dump as stored: YYYY-MM-DD.csv or YYYY-MM-DD.json',
          requestParams: {
            path: z.object({
              file: z
                .string()
                .regex(/^\d{4}-\d{2}-\d{2}\.(csv|json)$/)
                .meta({ example: '2026-12-01.csv' }),
            }),
          },
          responses: responses(
            {
              description: 'The dump (ETag: its SHA-256)',
              headers: cacheHeaders,
              content: { 'application/json': { schema: z.unknown() }, ...CSV },
            },
            true,
          ),
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          responses: {
            '200': {
              description: 'OpenAPI 3.1',
              content: { 'application/json': { schema: z.unknown() } },
            },
          },
        },
      },
    },
  });
}
