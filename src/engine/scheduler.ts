import { performance } from 'node:perf_hooks';
import { BucketCountError, BucketLayout } from './bucket-layout';
import { ClaimLoop } from './claim-loop';
import { warnIfEvictable } from './eviction-check';
import { SecondsLikeDueTimeHint } from './due-time-hint';
import { KeySpace, type TaskKeys } from './keys';
import { LegacyMigration, type LegacyMigrationCounts } from './legacy-migration';
import { CONSOLE_LOGGER, type SchedulerLogger } from './logger';
import { resolveOptions, type SchedulerOptions } from './options';
import { NameRegistry } from './name-registry';
import { Recurrence } from './recurrence';
import { createRedisPort } from './redis/detect-client';
import type { RedisPort } from './redis/redis-port';
import { waitForRedis } from './redis-wait';
import { parseSchedule } from './schedule-spec';
import { Scripts } from './scripts';
import { waitAtMost } from './single-flight';
import { TaskRunner } from './task-runner';
import { checkDueTime, checkHandler, checkHandlerName, checkTaskInfo } from './validation';
import { WakeSubscriptions } from './wake-subscriptions';
import * as deadSet from './dead-set';
import * as inspection from './inspection';
import { SchedulerMetrics } from './metrics';
import { OperatorScripts, type OperatorContext } from './operator-scripts';
import * as pause from './pause';
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
} from '../interfaces/redis_scheduler/beta/types';

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

/** Most tasks of one add script call. */
const ADD_CHUNK = 1_000;
/** Most taskInfo bytes (UTF-16 length as a cheap upper-bound proxy) of one add script call. */
const ADD_CHUNK_CHARS = 4 * 1024 * 1024;
const MAX_DEAD_TASKS_LIMIT = 100_000;
/** At shutdown, how long each Redis write may take once shutdownTimeoutMs is spent (Redis may be down). */
const SHUTDOWN_REDIS_GRACE_MS = 1_000;
/** How long start() waits for the eviction check and the subscription while Redis is unreachable. */
const START_STEP_MS = 2_000;

/**
 * The scheduling engine: a plain class over a Redis client of any family (see RedisPort), free of AntelopeJS.
 * Producers call addTask/removeTask; a node that calls start() claims due tasks of the handlers it
 * registered, runs them under a renewed lease and records their outcome. Redis keeps every state.
 */
export class RedisScheduler {
  private readonly options: SchedulerOptions;
  private readonly keys: KeySpace;
  private readonly scripts: Scripts;
  private readonly handlers = new Map<string, TaskHandler>();
  private readonly runner: TaskRunner;
  private readonly loop: ClaimLoop;
  private readonly redis: RedisPort;
  private readonly names: NameRegistry;
  private readonly wake: WakeSubscriptions;
  private readonly legacy: LegacyMigration;
  private readonly recurrence: Recurrence;
  private readonly layout: BucketLayout;
  private offReconnect?: () => void;
  /** Whether the node claims (between the start and the end of the shutdown). */
  private listening = false;
  /** What the last start()/stop() call asked for: the last call wins. */
  private wanted = false;
  /** start()/stop() transitions, one after the other. */
  private transitions: Promise<void> = Promise.resolve();
  private evictionChecked = false;
  private readonly secondsHint: SecondsLikeDueTimeHint;
  /** What the operator functions (issue 12) work with: inspection, dead set, pause. */
  private readonly ops: OperatorContext;
  private readonly metrics: SchedulerMetrics;

  /**
   * @param client a connected client: node-redis 4-6 (`createClient` or `createCluster`) or ioredis
   *   (`Redis` or `Cluster`), told apart by shape. The engine sends commands on it and opens its own
   *   pub/sub connection, but never closes the client. Throws TypeError for anything else.
   * @param options see {@link SchedulerOptions}; validated here (throws TypeError naming the field).
   * @param logger defaults to the console (errors, warnings, info).
   */
  constructor(
    private readonly client: unknown,
    options: Partial<SchedulerOptions> = {},
    private readonly log: SchedulerLogger = CONSOLE_LOGGER,
  ) {
    this.options = resolveOptions(options);
    this.keys = new KeySpace(this.options.keyPrefix);
    this.secondsHint = new SecondsLikeDueTimeHint(log);
    this.redis = createRedisPort(client, (message) => this.log.warn(message));
    this.scripts = new Scripts(this.redis, this.keys);
    this.names = new NameRegistry(this.redis, this.keys.names);
    this.layout = new BucketLayout(this.redis, this.keys, this.options.buckets);
    this.legacy = new LegacyMigration(this.redis, this.keys, this.names, this.options, log);
    this.metrics = new SchedulerMetrics(() => this.getStats(), { recordRuns: this.options.metrics, processMetrics: this.options.processMetrics });
    this.ops = {
      port: this.redis,
      keys: this.keys,
      scripts: new OperatorScripts(this.redis, this.keys),
      names: this.names,
      maxTaskInfoBytes: this.options.maxTaskInfoBytes,
      ready: (call) => this.ready(call),
    };
    this.recurrence = new Recurrence(this.redis, this.keys, this.names, log, (name, bucket, delayMs) => {
      if (this.handlers.has(name)) this.loop.wakeBucket(name, bucket, delayMs);
    });
    const hooks = {
      onSlotFree: () => this.loop.onSlotFree(),
      wakeBucket: (name: string, bucket: number, delayMs: number) => this.loop.wakeBucket(name, bucket, delayMs),
      isListening: () => this.listening,
      onTicksEnded: (name: string, bucket: number) => this.recurrence.advanceSoon(name, bucket),
    };
    this.runner = new TaskRunner(this.scripts, this.keys, this.options, this.handlers, log, hooks, this.metrics);
    const isListening = () => this.listening;
    const advancer = this.recurrence;
    const layout = this.layout;
    this.loop = new ClaimLoop({ scripts: this.scripts, keys: this.keys, layout, options: this.options, handlers: this.handlers, runner: this.runner, log, isListening, advancer });
    this.wake = new WakeSubscriptions(
      this.redis,
      this.keys,
      () => this.layout.ready(),
      (message, name, bucket) => this.loop.onWakeMessage(message, name, bucket),
      (message) => this.log.warn(message),
    );
  }

  /** The options in force, defaults included. */
  get settings(): Readonly<SchedulerOptions> {
    return this.options;
  }

  /** Whether the node is listening: from start() until stop() begins its shutdown. */
  get isListening(): boolean {
    return this.listening;
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
    await this.addTaskList([{ name, dueTimeMs, taskInfo }], 'addTask');
  }

  /** Schedules many tasks with one script call per 1,000 tasks (or 4 MiB) of a name. Checks all before writing any. */
  async addTasks(tasks: readonly TaskSpec[]): Promise<void> {
    await this.addTaskList(tasks, 'addTasks');
  }

  private async addTaskList(tasks: readonly TaskSpec[], call: string): Promise<void> {
    if (!Array.isArray(tasks)) throw new TypeError('redis_scheduler: addTasks expects an array of { name, dueTimeMs, taskInfo }');
    const byName = new Map<string, TaskSpec[]>();
    for (const task of tasks) {
      let list = byName.get(task?.name);
      if (list) {
        // The name passed every check with an earlier task of this call.
        this.checkTaskFields(task.dueTimeMs, task.taskInfo);
      } else {
        this.checkTask(task?.name, task?.dueTimeMs, task?.taskInfo);
        byName.set(task.name, (list = []));
      }
      list.push(task);
      this.secondsHint.check(task.dueTimeMs, task.name);
    }
    await this.ready(call);
    const writes: Array<Promise<void>> = [];
    for (const [name, list] of byName) {
      for (const [bucket, chunks] of this.chunksByBucket(list)) {
        for (const chunk of chunks) {
          // From the second chunk on, let the client send what is queued first, so Redis runs a chunk
          // while this process encodes the next one instead of waiting for all of them.
          if (writes.length > 0) await nextTurn();
          const write = this.addChunk(name, bucket, chunk.pairs);
          write.catch(() => undefined); // rejections are reported by Promise.all below, not as unhandled
          writes.push(write);
        }
      }
    }
    await Promise.all(writes);
  }

  /** The tasks of one name by bucket, as chunks of flat (dueTimeMs, taskInfo) pairs, the way add.lua takes them. */
  private chunksByBucket(tasks: TaskSpec[]): Map<number, AddChunk[]> {
    const byBucket = new Map<number, AddChunk[]>();
    for (const task of tasks) {
      const bucket = this.keys.bucketOf(task.taskInfo);
      let chunks = byBucket.get(bucket);
      if (!chunks) byBucket.set(bucket, (chunks = []));
      let last = chunks.at(-1);
      if (!last || last.pairs.length >= 2 * ADD_CHUNK || last.chars + task.taskInfo.length > ADD_CHUNK_CHARS) {
        chunks.push((last = { pairs: [], chars: 0 }));
      }
      last.pairs.push(String(task.dueTimeMs), task.taskInfo);
      last.chars += task.taskInfo.length;
    }
    return byBucket;
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

  /**
   * Runs `taskInfo` for handler `name` on a schedule, once per tick across all nodes (see
   * docs/recurring.md). The same (name, schedule, taskInfo) again changes nothing; another schedule
   * replaces it and recomputes the next tick. removeTask ends it. Resolves to whether it wrote.
   * @throws TypeError naming the field on a bad schedule, name or taskInfo (nothing is written),
   *   Error for an unknown handler unless allowUnknownHandlers.
   */
  async addRecurringTask(name: string, schedule: RecurringSchedule, taskInfo: string): Promise<boolean> {
    checkHandlerName(name);
    const grid = parseSchedule(schedule);
    checkTaskInfo(taskInfo, this.options.maxTaskInfoBytes);
    this.checkKnownHandler(name);
    await this.ready('addRecurringTask');
    return this.recurrence.upsert(name, grid, taskInfo);
  }

  /** The recurring tasks of `name`, or of every name: schedule, next due time, last run and outcome. */
  async getRecurringTasks(name?: string): Promise<RecurringTask[]> {
    if (name !== undefined) checkHandlerName(name);
    await this.ready('getRecurringTasks');
    if (name !== undefined) return this.recurrence.list([name]);
    return this.recurrence.list([...new Set([...(await this.names.list()), ...this.handlers.keys()])].sort());
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

  /**
   * Figures per handler name (every name that has had a task or a pause, and every name handled
   * here), each task counted once: counts by state, overdue tasks and the lag by Redis time,
   * retries, next due time, pause. One script per name, whatever the backlog.
   */
  async getStats(): Promise<HandlerStats[]> {
    await this.ready('getStats');
    const names = new Set<string>([...(await this.names.list()), ...this.handlers.keys()]);
    const stats = await Promise.all(
      [...names].sort().map(async (name) => {
        const counts = await Promise.all(this.keys.allBuckets(name).map((keys) => this.scripts.stats(keys)));
        return inspection.statsOf(name, inspection.sumCounts(counts), this.handlers.has(name));
      }),
    );
    await this.names.forget(stats.filter((s) => !s.handledHere && inspection.isEmpty(s)).map((s) => s.name), (name) => this.nameIsEmpty(name));
    return stats;
  }

  /** Whether no bucket of `name` holds anything (a task in any state, a schedule, a pause). */
  private async nameIsEmpty(name: string): Promise<boolean> {
    const counts = await Promise.all(this.keys.allBuckets(name).map((keys) => this.scripts.stats(keys)));
    return inspection.isEmpty(inspection.statsOf(name, inspection.sumCounts(counts), false));
  }

  /**
   * One page of the tasks of `name` in a state, in due order (lease-expiry order for running tasks,
   * death order for dead ones), in O(log n + limit). Pass `cursor` back for the next page: every
   * task that stays in that state is seen once, however many are added, claimed or removed meanwhile.
   */
  async listTasks(name: string, options: ListTasksOptions): Promise<TaskPage> {
    return inspection.listTasks(this.ops, name, options);
  }

  /** The task (name, taskInfo) in whatever state it is, or null. */
  async getTask(name: string, taskInfo: string): Promise<TaskView | null> {
    return inspection.getTask(this.ops, name, taskInfo);
  }

  /**
   * Requeues dead tasks of `name`, due now with a full set of attempts: those of `taskInfos` (the
   * others are ignored), or all of them. Resolves to how many were requeued.
   */
  async retryDeadTasks(name: string, taskInfos?: readonly string[]): Promise<number> {
    return deadSet.retryDeadTasks(this.ops, name, taskInfos);
  }

  /** Deletes dead tasks of `name`: all, or those dead for at least `olderThanMs` (Redis time). Resolves to how many. */
  async purgeDeadTasks(name: string, options: PurgeDeadOptions = {}): Promise<number> {
    return deadSet.purgeDeadTasks(this.ops, name, options);
  }

  /**
   * Pauses `name` fleet-wide, persisted in Redis: no node claims its tasks until resumeHandler;
   * running ones finish. Resolves to false if it was already paused.
   */
  async pauseHandler(name: string): Promise<boolean> {
    return pause.pauseHandler(this.ops, name);
  }

  /** Lifts the pause of `name`; nodes claim its due tasks at once. Resolves to false if it was not paused. */
  async resumeHandler(name: string): Promise<boolean> {
    return pause.resumeHandler(this.ops, name);
  }

  /**
   * This node's metrics in the Prometheus text format: adds, runs by outcome, lag and durations
   * (unless the metrics option is false), and the task gauges read from Redis now.
   */
  async getMetrics(): Promise<string> {
    return this.metrics.text();
  }

  /** The oldest dead tasks of a name (most `limit`), with their last error and attempt count. */
  async getDeadTasks(name: string, limit = 100): Promise<DeadTask[]> {
    checkHandlerName(name);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_DEAD_TASKS_LIMIT) {
      throw new RangeError(`redis_scheduler: getDeadTasks limit must be an integer from 1 to ${MAX_DEAD_TASKS_LIMIT}, received ${String(limit)}`);
    }
    await this.ready('getDeadTasks');
    const perBucket = await Promise.all(this.keys.allBuckets(name).map((keys) => this.oldestDead(keys, limit)));
    return perBucket
      .flat()
      .sort((a, b) => a.diedAtMs - b.diedAtMs || inspection.compareMembers(a.taskInfo, b.taskInfo))
      .slice(0, limit)
      .map(({ sortMs: _sortMs, ...task }) => task);
  }

  /** The oldest dead tasks of one bucket (most `limit`), with their death time as scored. */
  private async oldestDead(keys: TaskKeys, limit: number): Promise<Array<DeadTask & { sortMs: number }>> {
    // WITHSCORES replies are flat (RESP2) or pairs (RESP3), depending on the client.
    const flat = ((await this.redis.send(['ZRANGE', keys.dead, '0', String(limit - 1), 'WITHSCORES'], keys.dead)) as unknown[]).flat();
    if (flat.length === 0) return [];
    const members = flat.filter((_, i) => i % 2 === 0).map(String);
    const infos = (await this.redis.send(['HMGET', keys.deadInfo, ...members], keys.deadInfo)) as Array<string | null>;
    return members.map((taskInfo, i) => {
      const info = JSON.parse(infos[i] ?? '{}') as Partial<DeadTask>;
      const sortMs = Number(flat[2 * i + 1]);
      return { taskInfo, error: String(info.error ?? ''), attempts: Number(info.attempts ?? 0), diedAtMs: Number(info.diedAtMs ?? sortMs), sortMs };
    });
  }

  // ---- adding ----

  private checkTask(name: unknown, dueTimeMs: unknown, taskInfo: unknown): void {
    checkHandlerName(name);
    this.checkTaskFields(dueTimeMs, taskInfo);
    this.checkKnownHandler(name);
  }

  private checkKnownHandler(name: string): void {
    if (!this.options.allowUnknownHandlers && !this.handlers.has(name)) {
      throw new Error(
        `redis_scheduler: unknown handler "${name}": register it with setHandler first, or set allowUnknownHandlers on producer-only nodes`,
      );
    }
  }

  private checkTaskFields(dueTimeMs: unknown, taskInfo: unknown): void {
    checkDueTime(dueTimeMs);
    checkTaskInfo(taskInfo, this.options.maxTaskInfoBytes);
  }

  /** Adds tasks of one bucket of a name: `pairs` is (dueTimeMs, taskInfo, dueTimeMs, taskInfo, ...). */
  private async addChunk(name: string, bucket: number, pairs: string[]): Promise<void> {
    await this.names.register(name);
    const delayMs = await this.scripts.add(this.keys.forBucket(name, bucket), name, pairs);
    this.metrics.tasksAdded(name, pairs.length / 2);
    if (delayMs >= 0 && this.handlers.has(name)) this.loop.wakeBucket(name, bucket, delayMs);
  }

  /** Waits for Redis (up to redisWaitMs) before the first command of `call`, then for the bucket count (once). */
  private async ready(call: string): Promise<void> {
    await waitForRedis(this.client, this.options.redisWaitMs, call);
    await this.layout.ready();
  }

  // ---- start and stop ----

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
    await beforeDeadline(this.legacy.stop());
    await beforeDeadline(this.wake.close());
    await this.loop.stop(beforeDeadline);
    await beforeDeadline(this.runner.idle());
    const inGrace = within(SHUTDOWN_REDIS_GRACE_MS);
    await this.runner.shutdown(inGrace);
    await inGrace(Promise.all([this.loop.releasesInFlight(), this.recurrence.settled()]));
  }
}

/** Tasks of one add script call, as (dueTimeMs, taskInfo) pairs. */
interface AddChunk {
  pairs: string[];
  chars: number;
}

/** A bound for steps that must all end within `budgetMs` from now. */
function within(budgetMs: number): (step: Promise<unknown>) => Promise<boolean> {
  const endMs = performance.now() + budgetMs;
  return (step) => waitAtMost(step, Math.max(0, endMs - performance.now()));
}

/** Resolves after the callbacks already queued for this event-loop turn (setImmediate is FIFO). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
