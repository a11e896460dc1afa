import type { RedisClientType } from 'redis';

/** Any node-redis 6 client, as the tests and the bench create them for their own checks. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RedisClient = RedisClientType<any, any, any, any, any>;
