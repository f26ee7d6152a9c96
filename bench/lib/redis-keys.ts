import { Redis } from 'ioredis';

/** Deletes every key starting with `prefix` (SCAN + UNLINK), so a shared Redis is left clean. */
export async function deleteKeysWithPrefix(redisUrl: string, prefix: string): Promise<number> {
  if (prefix.length < 4) throw new Error(`refusing to delete keys of prefix "${prefix}"`);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  let deleted = 0;
  try {
    const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
