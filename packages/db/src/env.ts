import { parseEnv } from '@llmpt/shared';
import { z } from 'zod';

const envSchema = z.object({
  DATABASE_URL: z.url({
    protocol: /^postgres(ql)?$/,
    error:
      'must be a postgres:// or postgresql:// URL, e.g. postgres://user:pass@127.0.0.1:5432/llmpt',
  }),
});

export type DbEnv = z.infer<typeof envSchema>;

let cached: DbEnv | undefined;

/**
 * The CLIs' environment, validated once. A function rather than a module-level constant so that
 * importing @llmpt/db (whose apps bring their own env) never requires DATABASE_URL.
 * @throws Error naming each missing or invalid variable.
 */
export function dbEnv(source: NodeJS.ProcessEnv = process.env): DbEnv {
  if (cached) return cached;
  cached = parseEnv(envSchema, source, 'the db CLIs');
  return cached;
}
