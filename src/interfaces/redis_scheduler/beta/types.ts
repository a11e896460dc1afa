// The public types of redis_scheduler@beta. Plain TypeScript with no framework import, so the
// engine (usable without AntelopeJS) shares them with the interface.

/** What a handler gets besides its taskInfo. */
export interface TaskContext {
  /** The handler name the task was added under. */
  name: string;
  /** 1 for the first run, 2 for the first retry, ... */
  attempt: number;
  /** 1 + maxRetries: the attempt after which a failure sends the task to the dead set. */
  maxAttempts: number;
  /** The due time given to addTask (Unix ms). */
  dueTimeMs: number;
  /** Fires when this node loses the task's lease (expired, or the task was removed) or hands it back at shutdown. */
  signal: AbortSignal;
}

/**
 * Runs a due task. Receives the taskInfo string given to addTask and, optionally, a context.
 * Throwing or rejecting schedules a retry (3 by default, 5 s apart), then the dead set.
 */
export type TaskHandler = (taskInfo: string, context: TaskContext) => void | Promise<void>;

/** One task for {@link addTasks}. */
export interface TaskSpec {
  /** Handler name. */
  name: string;
  /** Due time, Unix ms. */
  dueTimeMs: number;
  /** Opaque payload; with `name`, the task's identity. */
  taskInfo: string;
}

/** Counts of one handler name, as {@link getStats} reports them. */
export interface HandlerStats {
  name: string;
  /** Tasks scheduled or waiting for a retry. */
  scheduled: number;
  /** Tasks leased to a node right now. */
  running: number;
  /** Tasks given up after their last attempt. */
  dead: number;
  /** Whether the node answering has a handler for the name. */
  handledHere: boolean;
  /** Scheduled tasks due by now (Redis time) and not running: the backlog. */
  overdue: number;
  /** How late the most overdue task is, by Redis time (ms): the lag to alert on. 0 when none is overdue. */
  oldestOverdueMs: number;
  /** Tasks that failed or lost a lease and have attempts left: waiting for their retry or running it. */
  retrying: number;
  /** Due time of the earliest scheduled task (Unix ms), or null when none is scheduled. */
  nextDueMs: number | null;
  /** Whether the name is paused fleet-wide (see pauseHandler): no node claims its tasks. */
  paused: boolean;
  /** Recurring tasks (schedules) of the name. */
  recurring: number;
  /** Recurring ticks that were coalesced into a later run, since the name's first schedule. */
  coalescedTicks: number;
}

/** Where a task is: waiting (`scheduled`, including retries), leased to a node (`running`), or given up (`dead`). */
export type TaskState = 'scheduled' | 'running' | 'dead';

/** One task as {@link listTasks} and {@link getTask} show it. */
export interface TaskView {
  name: string;
  taskInfo: string;
  state: TaskState;
  /** When it is (or was, for a running or dead task) due, Unix ms. */
  dueTimeMs: number;
  /** Scheduled: the attempt its next run will be (1 for a fresh task); running: the current attempt; dead: attempts used. */
  attempt: number;
  /** Running tasks: when their lease ends unless renewed (Unix ms, Redis time). */
  leaseExpiresMs?: number;
  /** Running tasks: the id of the engine instance (node) holding the lease, random per RedisScheduler. */
  node?: string;
  /** Dead tasks: the last error. */
  error?: string;
  /** Dead tasks: when they were given up (Unix ms, Redis time). */
  diedAtMs?: number;
}

/** Options of {@link listTasks}. */
export interface ListTasksOptions {
  /** Which tasks to list. */
  state: TaskState;
  /** Most tasks in the page, 1 to 10,000. Default 100. */
  limit?: number;
  /** The `cursor` of the previous page; omit for the first page. */
  cursor?: string;
}

/** One page of {@link listTasks}. */
export interface TaskPage {
  /** In due order (scheduled), lease-expiry order (running) or death order (dead). */
  tasks: TaskView[];
  /** Pass it back for the next page; absent when this page reached the end. */
  cursor?: string;
}

/** Options of {@link purgeDeadTasks}. */
export interface PurgeDeadOptions {
  /** Only purge tasks that died at least this long ago (ms, Redis time). Default: purge all. */
  olderThanMs?: number;
}

/** A task in the dead set, as {@link getDeadTasks} reports it. */
export interface DeadTask {
  taskInfo: string;
  /** The last error (a handler's stack, or the lease expiry). */
  error: string;
  attempts: number;
  diedAtMs: number;
}

/** A cron schedule: 5 fields (minute precision) or 6 (seconds first), evaluated in `timezone`. */
export interface CronSchedule {
  /** Cron expression, e.g. `"30 2 * * *"` (02:30 daily) or `"15 0 9 * * 1"` (Mondays 09:00:15, seconds first). */
  cron: string;
  /** IANA time zone the expression is read in. Default `"UTC"`. */
  timezone?: string;
}

/** A fixed-interval schedule: ticks at `startAtMs + k × everyMs`. */
export interface IntervalSchedule {
  /** Interval in ms, an integer of at least 1. */
  everyMs: number;
  /** Unix ms of the grid's first tick. Default: when the schedule is first added (by Redis time), so the first tick runs at once. */
  startAtMs?: number;
}

/** When a recurring task ticks. */
export type RecurringSchedule = CronSchedule | IntervalSchedule;

/** How a recurring tick ended: its handler succeeded, or it failed every attempt (dead set). */
export type TickOutcome = 'succeeded' | 'dead';

/** A recurring task, as {@link getRecurringTasks} reports it. */
export interface RecurringTask {
  name: string;
  taskInfo: string;
  /** The schedule, defaults filled in. */
  schedule: RecurringSchedule;
  /** Due time of the next tick (Unix ms), or null while a tick runs, retries or has just ended. */
  nextDueMs: number | null;
  /** When the last ended tick started (Unix ms, Redis time), or null before the first one ended. */
  lastRunMs: number | null;
  /** How the last ended tick ended, or null before the first one ended. */
  lastOutcome: TickOutcome | null;
  /** Ticks of this schedule that were coalesced into a later run (missed while nodes were down, or due while a tick still ran). */
  coalescedTicks: number;
}
