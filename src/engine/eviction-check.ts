import type { SchedulerLogger } from './logger';
import type { RedisPort } from './redis/redis-port';
import { errorMessage } from './errors';

const SAFE_EVICTION_POLICIES = new Set(['noeviction', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']);

/** Warns if Redis may evict keys (an evicted key is a lost task). */
export async function warnIfEvictable(redis: RedisPort, log: SchedulerLogger): Promise<void> {
  const policy = await readEvictionPolicy(redis, log);
  if (policy === undefined) {
    log.warn('could not read Redis maxmemory-policy; make sure it is "noeviction", or Redis may evict task keys and lose tasks');
  } else if (!SAFE_EVICTION_POLICIES.has(policy)) {
    log.warn(
      `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict task keys and lose tasks. Set maxmemory-policy to "noeviction".`,
    );
  }
}

/**
 * maxmemory-policy from INFO memory, never CONFIG GET: the ACL rule needs only `+info|memory`, while
 * granting `config|get` would let the scheduler's user read `requirepass`.
 */
async function readEvictionPolicy(redis: RedisPort, log: SchedulerLogger): Promise<string | undefined> {
  try {
    const info = String(await redis.send(['INFO', 'memory']));
    return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  } catch (err) {
    log.debug('INFO memory failed:', errorMessage(err));
    return undefined;
  }
}
