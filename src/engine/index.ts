// The engine entry, `ajs-redis-scheduler/engine` (also the package root for Node.js): the scheduler
// without AntelopeJS, over a node-redis client you create and close.
export { RedisScheduler, type SchedulerLogger } from './scheduler';
export { DEFAULT_OPTIONS, type RetryBackoff, type SchedulerOptions } from './options';
export { RedisUnavailableError } from './redis-wait';
export type { RedisClient } from './scripts';
export type { DeadTask, HandlerStats, TaskContext, TaskHandler, TaskSpec } from '../interfaces/redis_scheduler/beta/types';
