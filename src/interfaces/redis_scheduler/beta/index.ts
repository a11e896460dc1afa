import { InterfaceFunction, RegisteringProxy } from '@ajs/core/beta';

import type {
  DeadTask,
  HandlerStats,
  ListTasksOptions,
  PurgeDeadOptions,
  RecurringSchedule,
  RecurringTask,
  TaskHandler,
  TaskPage,
  TaskSpec,
  TaskView,
} from './types';

export type {
  CronSchedule,
  DeadTask,
  HandlerStats,
  IntervalSchedule,
  ListTasksOptions,
  PurgeDeadOptions,
  RecurringSchedule,
  RecurringTask,
  TaskContext,
  TaskHandler,
  TaskPage,
  TaskSpec,
  TaskState,
  TaskView,
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

/**
 * Figures per handler name, including names no node handles: scheduled, running, dead, overdue,
 * oldestOverdueMs (the lag, by Redis time), retrying, nextDueMs, paused, recurring, coalescedTicks. Cheap at any backlog.
 */
export const getStats = InterfaceFunction<() => HandlerStats[]>();

/** The oldest dead tasks of a name (at most `limit`, default 100) with their last error. */
export const getDeadTasks = InterfaceFunction<(name: string, limit?: number) => DeadTask[]>();

// ---- operating it (issue 12) ----

/**
 * One page of the tasks of `name` in `options.state` ('scheduled' | 'running' | 'dead'), in due
 * order (lease-expiry order for running tasks, death order for dead ones), in O(log n + limit).
 * Pass the returned `cursor` back for the next page; it is absent on the last page. Every task that
 * stays in that state is seen exactly once while others are added, claimed or removed.
 */
export const listTasks = InterfaceFunction<(name: string, options: ListTasksOptions) => TaskPage>();

/** The task identified by exactly (name, taskInfo), in whatever state it is, or null. */
export const getTask = InterfaceFunction<(name: string, taskInfo: string) => TaskView | null>();

/**
 * Requeues dead tasks of `name`, due now with a full set of attempts: those among `taskInfos`, or
 * all of them when omitted. Resolves to how many were requeued.
 */
export const retryDeadTasks = InterfaceFunction<(name: string, taskInfos?: string[]) => number>();

/** Deletes dead tasks of `name`: all, or those that died at least `olderThanMs` ago. Resolves to how many. */
export const purgeDeadTasks = InterfaceFunction<(name: string, options?: PurgeDeadOptions) => number>();

/**
 * Pauses `name` on every node, persisted in Redis (it survives restarts): no node claims its tasks
 * until resumeHandler; running ones finish. Resolves to false if it was already paused.
 */
export const pauseHandler = InterfaceFunction<(name: string) => boolean>();

/** Lifts the pause of `name`; listeners claim its due tasks at once. Resolves to false if it was not paused. */
export const resumeHandler = InterfaceFunction<(name: string) => boolean>();

/**
 * This node's metrics in the Prometheus text exposition format: redis_scheduler_tasks_added_total,
 * redis_scheduler_task_runs_total, redis_scheduler_task_lag_seconds, redis_scheduler_task_duration_seconds,
 * and the gauges redis_scheduler_tasks and redis_scheduler_oldest_overdue_seconds read from Redis.
 */
export const getMetrics = InterfaceFunction<() => string>();
