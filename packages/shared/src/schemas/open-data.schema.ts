import { z } from 'zod';

import { LLM_CATEGORIES } from '../constants.ts';
import { llmHistorySchema } from './history.schema.ts';
import { llmCategorySchema, llmIdSchema, llmSchema } from './llm.schema.ts';
import { MOVER_WINDOWS, RANKING_SORTS } from './rankings.schema.ts';

// The public REST API's (/api/v1, issue 15) queries and answers: one definition, from which the
// api validates its parameters and generates its OpenAPI document (apps/api/src/http/public-api).
// `.meta({ id })` names a schema as an OpenAPI component; the rest is documentation.

// ── Queries (query strings: every value arrives as text) ────────────────────────────────────

export const PUBLIC_FORMATS = ['json', 'csv'] as const;
const format = z.enum(PUBLIC_FORMATS).default('json').meta({
  description: 'json (default) or csv (text/csv, a header row, one row per item)',
});

export const publicRankingsQuerySchema = z.strictObject({
  sort: z.enum(RANKING_SORTS).default('score').meta({
    description:
      'score (up − down), wilson (lower bound of the approval), trending (decayed score)',
  }),
  category: llmCategorySchema.optional().meta({ description: 'Only models of this category' }),
  at: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-12-01T10:00:00Z' })
    .optional()
    .meta({
      description:
        'Show the board as of this past time (the stored hour at or before it); absent: live',
    }),
  format,
});
export type PublicRankingsQuery = z.infer<typeof publicRankingsQuerySchema>;

export const publicModelParamsSchema = z.strictObject({
  id: llmIdSchema.meta({ description: 'Model id, e.g. gpt-4o', example: 'gpt-4o' }),
});

export const publicHistoryQuerySchema = z.strictObject({
  days: z.coerce.number().int().min(1).max(90).default(30).meta({
    description: 'Days of hourly points, 1–90 (default 30)',
  }),
  format,
});

export const publicMoversQuerySchema = z.strictObject({
  window: z.enum(MOVER_WINDOWS).default('24h'),
  limit: z.coerce.number().int().min(1).max(20).default(5),
  format,
});

export const publicDumpParamsSchema = z.strictObject({
  day: z.iso.date({ error: 'must be a day, YYYY-MM-DD' }).meta({ example: '2026-12-01' }),
});

// ── Answers ──────────────────────────────────────────────────────────────────────────────────

export const licenceSchema = z
  .object({ id: z.string(), name: z.string(), url: z.url() })
  .meta({ id: 'Licence', description: 'The licence of the published data' });

export const rankRangeSchema = z
  .object({ best: z.number().int().min(1), worst: z.number().int().min(1) })
  .meta({ id: 'RankRange', description: 'Best and worst rank within the 95 % intervals' });

const standing = {
  up: z.number().int().min(0),
  down: z.number().int().min(0),
  score: z.number().int().meta({ description: 'up − down' }),
  wilson: z.number().min(0).max(1).meta({ description: 'Wilson lower bound of the approval' }),
  trending: z.number().meta({ description: 'Time-decayed score, two decimals' }),
  rank: z.number().int().min(1).nullable().meta({
    description: 'Rank on this board (ties share it); null: provisional or no votes',
  }),
  provisional: z.boolean().meta({ description: 'Has votes, fewer than the minimum to be ranked' }),
  rankRange: rankRangeSchema.nullable(),
};

export const publicLlmSchema = llmSchema.meta({ id: 'Model' });

export const publicRankingRowSchema = z
  .object({ model: publicLlmSchema, ...standing })
  .meta({ id: 'RankingRow' });
export type PublicRankingRow = z.infer<typeof publicRankingRowSchema>;

export const rankingRulesSchema = z
  .object({
    minVotes: z.number().int().min(1),
    trendingHalfLifeHours: z.number().positive(),
  })
  .meta({ id: 'RankingRules', description: 'How the boards are ranked' });

export const publicRankingsSchema = z
  .object({
    sort: z.enum(RANKING_SORTS),
    category: z.enum(LLM_CATEGORIES).nullable(),
    hour: z.string().nullable().meta({
      description:
        'With ?at=: start of the stored hour shown (ISO UTC; null: history is not that old). Live: null',
    }),
    rules: rankingRulesSchema,
    licence: licenceSchema,
    rows: z.array(publicRankingRowSchema),
  })
  .meta({ id: 'Rankings' });
export type PublicRankings = z.infer<typeof publicRankingsSchema>;

export const publicModelSchema = z
  .object({ model: publicLlmSchema, ...standing, licence: licenceSchema })
  .meta({ id: 'ModelStanding', description: 'A model with its standing on the overall board' });
export type PublicModel = z.infer<typeof publicModelSchema>;

export const publicHistorySchema = llmHistorySchema
  .extend({ licence: licenceSchema })
  .meta({ id: 'ModelHistory' });
export type PublicHistory = z.infer<typeof publicHistorySchema>;

export const moverSchema = z
  .object({
    llmId: llmIdSchema,
    rankBefore: z.number().int().nullable(),
    rankNow: z.number().int().nullable(),
    rankChange: z.number().int().nullable().meta({ description: 'Places gained (up: positive)' }),
    scoreBefore: z.number().int(),
    scoreNow: z.number().int(),
    scoreChange: z.number().int(),
  })
  .meta({ id: 'Mover' });

export const publicMoversSchema = z
  .object({
    window: z.enum(MOVER_WINDOWS),
    from: z.string().nullable(),
    to: z.string().nullable(),
    risers: z.array(moverSchema),
    fallers: z.array(moverSchema),
    licence: licenceSchema,
  })
  .meta({ id: 'Movers' });
export type PublicMovers = z.infer<typeof publicMoversSchema>;

export const publicDumpSchema = z
  .object({
    day: z.string().meta({ description: 'UTC day, YYYY-MM-DD' }),
    rows: z.number().int().min(0),
    csvBytes: z.number().int().min(0),
    jsonBytes: z.number().int().min(0),
    csvSha256: z.string().regex(/^[0-9a-f]{64}$/),
    jsonSha256: z.string().regex(/^[0-9a-f]{64}$/),
    createdAt: z.string(),
    csvUrl: z.string(),
    jsonUrl: z.string(),
  })
  .meta({ id: 'Dump' });

export const publicDumpsSchema = z
  .object({ licence: licenceSchema, dumps: z.array(publicDumpSchema) })
  .meta({ id: 'Dumps', description: 'Daily dumps of votes per model per hour, newest first' });
export type PublicDumps = z.infer<typeof publicDumpsSchema>;

export const publicErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(['BAD_REQUEST', 'NOT_FOUND', 'RATE_LIMITED', 'INTERNAL']),
      message: z.string(),
      issues: z
        .array(z.object({ path: z.string(), message: z.string() }))
        .optional()
        .meta({ description: 'Each refused parameter and why' }),
      retryAfterSec: z.number().int().optional(),
    }),
  })
  .meta({ id: 'Error' });
export type PublicError = z.infer<typeof publicErrorSchema>;
