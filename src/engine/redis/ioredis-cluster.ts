import { IoRedisPort, type IoRedisClient } from './ioredis';
import type { ClientFamily } from './redis-port';

/** What the adapter uses of an ioredis `Cluster` beyond the common part. */
export interface IoRedisCluster extends IoRedisClient {
  duplicate(startupNodes: unknown[], options: { shardedSubscribers: boolean }): IoRedisCluster;
  ssubscribe(channel: string): Promise<unknown>;
  sunsubscribe(channel: string): Promise<unknown>;
}

/**
 * ioredis `Cluster`. `call` routes by the command's keys (for EVALSHA, KEYS[1]) and follows MOVED
 * and ASK. Wake-ups use sharded pub/sub on a duplicate cluster created with
 * `shardedSubscribers: true` (one subscriber per master, moved along with failovers), which the
 * application's own cluster may not have enabled. `+node` (a node joined, e.g. a promoted replica)
 * counts as a reconnect, as do `ready` and a sharded subscriber being back (`+subscriber`,
 * `subscribersReady`); `-node` (a node or a sharded subscriber left) and `close` mean wake-ups may
 * have been lost.
 */
export class IoRedisClusterPort extends IoRedisPort {
  override readonly family: ClientFamily = 'ioredis-cluster';
  override readonly isCluster = true;
  protected override readonly readyEvents = ['ready', '+node', '+subscriber', 'subscribersReady'];
  protected override readonly lostEvents = ['close', '-node'];
  protected override readonly messageEvent = 'smessage';

  protected override subscribeOn(subscriber: IoRedisClient, channel: string): Promise<unknown> {
    return (subscriber as IoRedisCluster).ssubscribe(channel);
  }

  protected override unsubscribeOn(subscriber: IoRedisClient, channel: string): Promise<unknown> {
    return (subscriber as IoRedisCluster).sunsubscribe(channel);
  }

  protected override duplicate(): IoRedisClient {
    return (this.client as IoRedisCluster).duplicate([], { shardedSubscribers: true });
  }
}
