import { KeySpace } from '../../src/engine/keys';
import type { RedisPort } from '../../src/engine/redis/redis-port';

/** The key space of a prefix with the bucket count recorded in Redis (1 if none is recorded yet). */
export async function recordedKeySpace(port: RedisPort, keyPrefix: string): Promise<KeySpace> {
  const space = new KeySpace(keyPrefix);
  const recorded = (await port.send(['GET', space.bucketsKey], space.bucketsKey)) as string | null;
  space.useBuckets(recorded === null ? 1 : Number(recorded));
  return space;
}
