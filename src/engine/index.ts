// The engine entry, `ajs-redis-scheduler/engine` (also the package root for Node.js): the scheduler
// without AntelopeJS, over a Redis client you create and close: node-redis 4-6 or ioredis, standalone
// or cluster.
export { RedisScheduler, type SchedulerLogger } from './scheduler';
export { DEFAULT_OPTIONS, type RetryBackoff, type SchedulerOptions } from './options';
export { RedisUnavailableError } from './redis-wait';
export type { ClientFamily } from './redis/redis-port';
export type { DeadTask, HandlerStats, TaskContext, TaskHandler, TaskSpec } from '../interfaces/redis_scheduler/beta/types';
export { BucketCountError } from './bucket-layout';
export { rebucket, type RebucketOptions, type RebucketReport } from './bucket-move';
