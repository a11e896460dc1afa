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
}

/** A task in the dead set, as {@link getDeadTasks} reports it. */
export interface DeadTask {
  taskInfo: string;
  /** The last error (a handler's stack, or the lease expiry). */
  error: string;
  attempts: number;
  diedAtMs: number;
}
