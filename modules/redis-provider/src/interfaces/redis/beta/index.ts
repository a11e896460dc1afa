import { InterfaceFunction } from '@ajs/core/beta';
import type { RedisClientType } from 'redis';

/** A node-redis client (v5 or v6, any RESP version and modules). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RedisClient = RedisClientType<any, any, any, any, any>;

/**
 * Returns the provider's shared node-redis client once it is connected. Calls made before a provider
 * is loaded are queued. Callers must not close it; duplicate() it for blocking or pub/sub work.
 */
export const GetClient: () => Promise<RedisClient> = InterfaceFunction<() => Promise<RedisClient>>();
