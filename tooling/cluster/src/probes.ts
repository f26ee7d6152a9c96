import { Redis } from 'ioredis';
import pg from 'pg';

const TIMEOUT_MS = 2_000;

/**
 * Runs `text` on a fresh connection to `url` and returns its rows. One connection per call: the
 * probes must not keep a pool that would show up in the connection counts they report. Simple
 * query protocol when there are no parameters, which PgBouncer's admin console requires.
 */
export async function pgQuery<T extends object = Record<string, unknown>>(
  url: string,
  text: string,
  values?: unknown[],
): Promise<T[]> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: 10_000,
    application_name: 'llmpt-cluster',
  });
  // A server that goes away under an idle client must not crash the caller.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await client.query<T>(text, values);
    return result.rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Sends one command to the Redis (or Sentinel) at 127.0.0.1:`port` on a fresh connection. */
export async function redisCall(
  port: number,
  command: string,
  ...args: string[]
): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: TIMEOUT_MS,
    commandTimeout: TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(command, ...args);
  } finally {
    client.disconnect();
  }
}

/** `INFO <section>` of the Redis at `port` as a map. */
export async function redisInfo(port: number, section: string): Promise<Map<string, string>> {
  const text = String(await redisCall(port, 'INFO', section));
  const map = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) map.set(line.slice(0, i), line.slice(i + 1));
  }
  return map;
}

/** A flat [k, v, k, v…] reply (SENTINEL MASTER) as a map. */
export function pairs(reply: unknown): Map<string, string> {
  const list = Array.isArray(reply) ? (reply as unknown[]).map(String) : [];
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < list.length; i += 2) map.set(list[i]!, list[i + 1]!);
  return map;
}

/** The HTTP status of GET `url` (the body is dropped). */
export async function httpStatus(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  await res.body?.cancel();
  return res.status;
}
