import { InterfaceFunction } from '@ajs/core/beta';
import type { RedisClientType, RedisClusterType } from 'redis';

/** A node-redis client (v5 or v6, any RESP version and modules). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RedisClient = RedisClientType<any, any, any, any, any>;

/** A node-redis cluster (`createCluster`), handed out when the provider is configured with `cluster`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RedisCluster = RedisClusterType<any, any, any, any, any>;

/** What GetClient() resolves to: a standalone client for a `url` config, a cluster for a `cluster` config. */
export type RedisConnection = RedisClient | RedisCluster;

/**
 * Returns the provider's shared node-redis client once it is connected. Calls made before a provider
 * is loaded are queued. Rejects when Redis refuses the login or the TLS certificate, or when no
 * connection came up within the provider's connectTimeoutMs (a later call tries again).
 * Callers must not close it; duplicate() it for blocking or pub/sub work.
 */
export const GetClient: () => Promise<RedisConnection> = InterfaceFunction<() => Promise<RedisConnection>>();
