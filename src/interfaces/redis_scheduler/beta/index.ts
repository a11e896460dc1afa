import { InterfaceFunction, RegisteringProxy } from '@ajs/core/beta';

import type { DeadTask, HandlerStats, RecurringSchedule, RecurringTask, TaskHandler, TaskSpec } from './types';

export type {
  CronSchedule,
  DeadTask,
  HandlerStats,
  IntervalSchedule,
  RecurringSchedule,
  RecurringTask,
  TaskContext,
  TaskHandler,
  TaskSpec,
  TickOutcome,
} from './types';

/** @internal bound by the implementing module through ImplementInterface */
export namespace internal {
  export const handlers = new RegisteringProxy<(name: string, handler: TaskHandler) => void>();
}

/**
 * Registers (or replaces) the handler for tasks of `name`. Synchronous; registrations made before the
 * scheduler module loads are replayed, and dropped when the registering module unloads.
 * @throws TypeError if `name` is not a non-empty string or `handler` is not a function.
 */
export function setHandler(name: string, handler: TaskHandler): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`redis_scheduler: handler name must be a non-empty string, received ${typeof name === 'string' ? 'an empty string' : typeof name}`);
  }
  if (typeof handler !== 'function') {
    throw new TypeError(`redis_scheduler: handler must be a function, received ${handler === null ? 'null' : typeof handler}`);
  }
  internal.handlers.register(name, handler);
}

/** This node starts claiming and running due tasks of the handlers registered on it. */
export const enableListener = InterfaceFunction<() => void>();

/**
 * This node stops claiming; resolves once running handlers finished or, after the shutdown
 * deadline, their tasks were handed back to Redis (without using an attempt).
 */
export const disableListener = InterfaceFunction<() => void>();

/**
 * Schedules `taskInfo` for handler `name` at `dueTime` (Unix ms). Adding an existing (name, taskInfo)
 * moves its due time. Rejects on bad input (nothing is written) and, unless the module is configured
 * with allowUnknownHandlers, for a name with no handler on this node.
 */
export const addTask = InterfaceFunction<(name: string, dueTime: number, taskInfo: string) => void>();

/** Schedules many tasks at once (one script per 1,000 tasks of a name); all are checked before any is written. */
export const addTasks = InterfaceFunction<(tasks: TaskSpec[]) => void>();

/**
 * Cancels the task identified by exactly (name, taskInfo): scheduled, waiting for a retry, or running
 * (then it is not retried and its handler's signal fires). Resolves to whether it was found.
 */
export const removeTask = InterfaceFunction<(name: string, taskInfo: string) => boolean>();

/**
 * Runs `taskInfo` for handler `name` on `schedule` ({ cron, timezone? } or { everyMs, startAtMs? }):
 * each tick once across all nodes, never two ticks of one task at once, next ticks on Redis time.
 * Calling it again with the same schedule changes nothing (call it at every start); with another
 * schedule it replaces it and recomputes the next tick. `removeTask(name, taskInfo)` ends it.
 * Resolves to whether it wrote anything. Rejects on bad input naming the field (nothing is written).
 */
export const addRecurringTask = InterfaceFunction<(name: string, schedule: RecurringSchedule, taskInfo: string) => boolean>();

/** The recurring tasks of `name` (or of every name): schedule, next due time, last run and its outcome. */
export const getRecurringTasks = InterfaceFunction<(name?: string) => RecurringTask[]>();

/** Counts per handler name (scheduled, running, dead, recurring), including names no node handles. */
export const getStats = InterfaceFunction<() => HandlerStats[]>();

/** The oldest dead tasks of a name (at most `limit`, default 100) with their last error. */
export const getDeadTasks = InterfaceFunction<(name: string, limit?: number) => DeadTask[]>();
