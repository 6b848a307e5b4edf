import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the suite runs against (scripts/test.sh exports TEST_REDIS_URL). */
export const redisUrl = (): string => process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh key prefix per test file, so files never see each other's keys. */
export const freshPrefix = (): string => `test-${randomBytes(5).toString('hex')}:`;

/**
 * Connects, and fails loudly (never skips) when Redis does not answer.
 */
export async function connectRedis(): Promise<Redis> {
  const url = redisUrl();
  const r = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 3000, lazyConnect: true });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    r.disconnect();
    throw new Error(`Redis is not reachable at ${url} (set TEST_REDIS_URL; npm test starts one): ${(err as Error).message}`);
  }
  return r;
}

/** Deletes every key under a prefix (the test file's cleanup). */
export async function dropPrefix(r: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await r.del(...keys);
  } while (cursor !== '0');
}
