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
  /** Recurring tasks (schedules) of the name. */
  recurring: number;
  /** Recurring ticks that were coalesced into a later run, since the name's first schedule. */
  coalescedTicks: number;
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
