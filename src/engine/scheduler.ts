import { performance } from 'node:perf_hooks';
import { BucketCountError } from './bucket-layout';
import { warnIfEvictable } from './eviction-check';
import type { LegacyMigrationCounts } from './legacy-migration';
import { CONSOLE_LOGGER, type SchedulerLogger } from './logger';
import { OperatorApi } from './operator-api';
import type { SchedulerOptions } from './options';
import { waitAtMost } from './single-flight';
import { checkHandler, checkHandlerName, checkTaskInfo } from './validation';
import type { TaskHandler, TaskSpec } from '../interfaces/redis_scheduler/beta/types';

export type {
  DeadTask,
  HandlerStats,
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
} from '../interfaces/redis_scheduler/beta/types';
export type { SchedulerLogger } from './logger';
export type { LegacyMigrationCounts } from './legacy-migration';

/** At shutdown, how long each Redis write may take once shutdownTimeoutMs is spent (Redis may be down). */
const SHUTDOWN_REDIS_GRACE_MS = 1_000;
/** How long start() waits for the eviction check and the subscription while Redis is unreachable. */
const START_STEP_MS = 2_000;

/**
 * The scheduling engine: a plain class over a Redis client of any family (see RedisPort), free of AntelopeJS.
 * Producers call addTask/removeTask; a node that calls start() claims due tasks of the handlers it
 * registered, runs them under a renewed lease and records their outcome. Redis keeps every state.
 * This file holds handlers, adding/removing and the lifecycle; the operator methods are in
 * operator-api.ts, the recurring ones in recurring-api.ts, the shared parts in scheduler-core.ts.
 */
export class RedisScheduler extends OperatorApi {
  private offReconnect?: () => void;
  private offSubscriberState?: () => void;
  /** What the last start()/stop() call asked for: the last call wins. */
  private wanted = false;
  /** start()/stop() transitions, one after the other. */
  private transitions: Promise<void> = Promise.resolve();
  private evictionChecked = false;

  /**
   * @param client a connected client: node-redis 4-6 (`createClient` or `createCluster`) or ioredis
   *   (`Redis` or `Cluster`), told apart by shape. The engine sends commands on it and opens its own
   *   pub/sub connection, but never closes the client. Throws TypeError for anything else.
   * @param options see {@link SchedulerOptions}; validated here (throws TypeError naming the field).
   * @param logger defaults to the console (errors, warnings, info).
   */
  constructor(client: unknown, options: Partial<SchedulerOptions> = {}, logger: SchedulerLogger = CONSOLE_LOGGER) {
    super(client, options, logger);
  }

  /** Registers (or replaces) the handler of a task name; a listening node starts claiming its tasks at once. */
  setHandler(name: string, handler: TaskHandler): void {
    checkHandlerName(name);
    checkHandler(handler);
    this.handlers.set(name, handler);
    if (this.listening) void this.wake.add([name]); // never rejects
    this.loop.request();
  }

  /** Forgets a handler; its tasks stay in Redis for nodes that have it. Running ones finish. */
  removeHandler(name: string): void {
    checkHandlerName(name);
    this.handlers.delete(name);
    if (this.listening) void this.wake.remove(name); // never rejects
  }

  /**
   * Schedules a task, or moves its due time if (name, taskInfo) is already scheduled. Adding a task
   * that is running starts a fresh life: it runs again at its due time or once the current run ends,
   * whichever is later, with its attempts reset; the current run's outcome no longer counts.
   * @param dueTimeMs Unix time in ms; in the past means now.
   * @throws TypeError / RangeError on bad input (nothing is written), Error for an unknown handler
   *   unless allowUnknownHandlers.
   */
  async addTask(name: string, dueTimeMs: number, taskInfo: string): Promise<void> {
    await this.adder.add([{ name, dueTimeMs, taskInfo }], 'addTask');
  }

  /** Schedules many tasks with one script call per 1,000 tasks (or 4 MiB) of a name. Checks all before writing any. */
  async addTasks(tasks: readonly TaskSpec[]): Promise<void> {
    await this.adder.add(tasks, 'addTasks');
  }

  /**
   * Cancels the task (name, taskInfo) whatever its state: scheduled, waiting for a retry, or running
   * (a running one is not retried, and its handler's signal fires on whichever node runs it; a
   * re-add waits until that run ends). Resolves to whether it was found.
   */
  async removeTask(name: string, taskInfo: string): Promise<boolean> {
    checkHandlerName(name);
    checkTaskInfo(taskInfo, this.options.maxTaskInfoBytes);
    await this.ready('removeTask');
    const found = await this.scripts.remove(this.keys.forTask(name, taskInfo), name, taskInfo);
    this.runner.cancel(name, taskInfo);
    return found;
  }

  /**
   * Moves the published AntelopeJS scheduler's tasks (sorted set `legacyKey`) into this module's keys
   * once, whatever migrateLegacyTasks says; safe beside other nodes doing the same (docs/upgrading.md).
   */
  async migrateLegacyTasks(): Promise<LegacyMigrationCounts> {
    await this.layout.ready();
    return this.legacy.migrate();
  }

  /** Starts claiming and running due tasks of the registered handlers on this node. */
  async start(): Promise<void> {
    this.wanted = true;
    await this.converge();
  }

  /**
   * Stops claiming, clears every timer, waits up to shutdownTimeoutMs for running handlers, then
   * hands the tasks still running back to Redis at once (their signal fires; no attempt is used).
   * Of start() and stop() called while the other is under way, the last call wins.
   */
  async stop(): Promise<void> {
    this.wanted = false;
    await this.converge();
  }

  private readonly onReconnect = (): void => {
    this.log.debug('connection ready: claiming at once');
    this.loop.requestFull();
  };

  /** Queues one transition towards what the last start()/stop() asked for; resolves when it is reached. */
  private converge(): Promise<void> {
    // A refused start (bucket count) rejects its caller only: later calls still run.
    this.transitions = this.transitions.catch(() => undefined).then(async () => {
      if (this.wanted && !this.listening) await this.open();
      else if (!this.wanted && this.listening) await this.shutdown();
    });
    return this.transitions;
  }

  private async open(): Promise<void> {
    // A node whose bucket count disagrees with the one recorded in Redis refuses to start; while Redis
    // is unreachable the check goes on in the claim loop, which claims nothing until it passes.
    let refusal: unknown;
    await waitAtMost(
      this.layout.ready().catch((err: unknown) => {
        if (err instanceof BucketCountError) refusal = err;
      }),
      START_STEP_MS,
    );
    if (refusal) {
      this.wanted = false;
      throw refusal;
    }
    this.listening = true;
    this.offReconnect = this.redis.onReconnect(this.onReconnect);
    this.offSubscriberState = this.redis.onSubscriberState?.(this.notices.onSubscriberState);
    this.runner.startRenewing();
    // Neither may hang the caller while Redis is unreachable; both carry on in the background.
    if (!this.evictionChecked) {
      this.evictionChecked = true;
      await waitAtMost(warnIfEvictable(this.redis, this.log), START_STEP_MS);
    }
    await waitAtMost(this.wake.add([...this.handlers.keys()]), START_STEP_MS);
    if (this.options.migrateLegacyTasks) await waitAtMost(this.legacy.start(), START_STEP_MS);
    this.loop.request();
  }

  /**
   * Bounded even while Redis is down: running handlers get what is left of shutdownTimeoutMs, and
   * the Redis writes after them (hand-back, acknowledgements) SHUTDOWN_REDIS_GRACE_MS in all.
   * A task that could not be handed back keeps its lease and runs again after it.
   */
  private async shutdown(): Promise<void> {
    this.listening = false;
    const beforeDeadline = within(this.options.shutdownTimeoutMs);
    this.offReconnect?.();
    this.offReconnect = undefined;
    this.offSubscriberState?.();
    this.offSubscriberState = undefined;
    this.notices.stop();
    await beforeDeadline(this.legacy.stop());
    await beforeDeadline(this.wake.close());
    await this.loop.stop(beforeDeadline);
    await beforeDeadline(this.runner.idle());
    const inGrace = within(SHUTDOWN_REDIS_GRACE_MS);
    await this.runner.shutdown(inGrace);
    await inGrace(Promise.all([this.loop.releasesInFlight(), this.recurrence.settled()]));
  }
}

/** A bound for steps that must all end within `budgetMs` from now. */
function within(budgetMs: number): (step: Promise<unknown>) => Promise<boolean> {
  const endMs = performance.now() + budgetMs;
  return (step) => waitAtMost(step, Math.max(0, endMs - performance.now()));
}
