import type { z } from 'zod';

/**
 * Validates an app's environment against its schema. A bad or missing variable throws ONE
 * error naming every problem, so a process never starts half-configured.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  source: Record<string, string | undefined>,
  app: string,
): z.infer<S> {
  const parsed = schema.safeParse(source);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => {
    const key = i.path.join('.');
    return `  ${key}: ${source[key] === undefined ? 'is not set' : i.message}`;
  });
  throw new Error(`Invalid environment for ${app}:\n${lines.join('\n')}`);
}
