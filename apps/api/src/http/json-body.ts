import { TRPCError } from '@trpc/server';

/**
 * A JSON request body as the api reads it, fastify's parser (app.ts) and the early vote route
 * (vote-fast.ts) alike: an empty body is a call without input (undefined); a body that is not
 * JSON is tRPC's PARSE_ERROR (400).
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new TRPCError({
      code: 'PARSE_ERROR',
      message: 'The request body is not valid JSON',
      cause,
    });
  }
}
