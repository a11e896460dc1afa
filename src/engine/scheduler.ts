import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { KeySpace, type TaskKeys } from './keys';
import { resolveOptions, type SchedulerOptions } from './options';
import { Recurrence } from './recurrence';
import { parseSchedule } from './schedule-spec';
import { FailOutcome, Isolation, Scripts, type ClaimResult, type ClaimSettings, type ClaimedTask, type RedisClient } from './scripts';
import { SingleFlight, waitAtMost } from './single-flight';
import { checkDueTime, checkHandler, checkHandlerName, checkTaskInfo } from './validation';
import type { DeadTask, HandlerStats, RecurringSchedule, RecurringTask, TaskContext, TaskHandler, TaskSpec } from '../interfaces/redis_scheduler/beta/types';

export type { DeadTask, HandlerStats, RecurringSchedule, RecurringTask, TaskContext, TaskHandler, TaskSpec };

/** Where the engine writes what it does; the AntelopeJS module passes its Logging channel. */
export interface SchedulerLogger {
  error(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  info(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}

/** A claim this node holds, from the claim until Redis has its outcome. */
interface HeldTask extends ClaimedTask {
  name: string;
  /** Created on the first read of the handler's signal: most handlers never read it. */
  abort?: AbortController;
  /** Why the task was aborted before its signal was created. */
  abortReason?: Error;
  /** The handler succeeded; the acknowledgement is queued or in flight. */
  succeeded: boolean;
}

const CONSOLE_LOGGER: SchedulerLogger = {
  error: (...args) => console.error('[redis_scheduler]', ...args),
  warn: (...args) => console.warn('[redis_scheduler]', ...args),
  info: (...args) => console.info('[redis_scheduler]', ...args),
  debug: () => undefined,
};
const EXPIRED_LEASE_ERROR = 'lease expired: the node running the task stopped or stalled';
const SAFE_EVICTION_POLICIES = new Set(['noeviction', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']);
const MAX_TIMER_MS = 2 ** 31 - 1;
const ERROR_RETRY_MS = 1_000;
const ADD_CHUNK = 1_000;
const MAX_ERROR_CHARS = 4_096;
const MAX_DEAD_TASKS_LIMIT = 100_000;
/** At shutdown, how long each Redis write may take once shutdownTimeoutMs is spent (Redis may be down). */
const SHUTDOWN_REDIS_GRACE_MS = 1_000;

/**
 * The scheduling engine: a plain class over a node-redis client, free of AntelopeJS.
 * Producers call addTask/removeTask; a node that calls start() claims due tasks of the handlers it
 * registered, runs them under a renewed lease and records their outcome. Redis keeps every state.
 */
export class RedisScheduler {
  private readonly options: SchedulerOptions;
  private readonly keys: KeySpace;
  private readonly scripts: Scripts;
  private readonly claimSettings: ClaimSettings;
  private readonly recurrence: Recurrence;
  private readonly handlers = new Map<string, TaskHandler>();
  /** name -> taskInfo -> claim held by this node */
  private readonly held = new Map<string, Map<string, HeldTask>>();
  private readonly poller = new SingleFlight(() => this.poll());
  private readonly acker = new SingleFlight(() => this.flushAcks());
  private readonly renewer = new SingleFlight(() => this.renewLeases());
  private readonly nodeId = randomBytes(6).toString('base64url');
  private ackQueue: HeldTask[] = [];
  private listening = false;
  private stopping?: Promise<void>;
  private subscriber?: RedisClient;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAtMs = Infinity;
  private renewTimer?: NodeJS.Timeout;
  private ackRetryTimer?: NodeJS.Timeout;
  private running = 0;
  private idleWaiters: Array<() => void> = [];
  private backlog = false;
  /** A suspect (its last lease expired: it may crash its node) running alone: claim nothing else. */
  private isolatedTask?: HeldTask;
  /** A suspect is next in line: claim nothing more until idle, then take it alone. */
  private awaitingIdle = false;
  /** Hand-backs of claims whose reply was lost, in flight. */
  private readonly lostClaimReleases = new Set<Promise<void>>();
  private claimSeq = 0;
  private nameCursor = 0;
  private evictionChecked = false;

  /**
   * @param client a connected node-redis client; the engine sends commands on it and duplicates it
   *   for pub/sub, but never closes it.
   * @param options see {@link SchedulerOptions}; validated here (throws TypeError naming the field).
   * @param logger defaults to the console (errors, warnings, info).
   */
  constructor(
    private readonly client: RedisClient,
    options: Partial<SchedulerOptions> = {},
    private readonly log: SchedulerLogger = CONSOLE_LOGGER,
  ) {
    this.options = resolveOptions(options);
    this.keys = new KeySpace(this.options.keyPrefix);
    this.scripts = new Scripts(client);
    this.claimSettings = {
      leaseMs: this.options.leaseMs,
      maxAttempts: this.options.maxRetries + 1,
      expiredError: EXPIRED_LEASE_ERROR,
    };
    this.recurrence = new Recurrence(client, this.keys, log, (name, delayMs) => {
      if (this.handlers.has(name)) this.wakeWithin(delayMs);
    });
  }

  /** The options in force, defaults included. */
  get settings(): Readonly<SchedulerOptions> {
    return this.options;
  }

  /** Whether start() is in effect. */
  get isListening(): boolean {
    return this.listening;
  }

  /** Registers (or replaces) the handler of a task name; a listening node starts claiming its tasks at once. */
  setHandler(name: string, handler: TaskHandler): void {
    checkHandlerName(name);
    checkHandler(handler);
    this.handlers.set(name, handler);
    this.poller.request();
  }

  /** Forgets a handler; its tasks stay in Redis for nodes that have it. Running ones finish. */
  removeHandler(name: string): void {
    checkHandlerName(name);
    this.handlers.delete(name);
  }

  /**
   * Schedules a task, or moves its due time if (name, taskInfo) is already scheduled.
   * @param dueTimeMs Unix time in ms; in the past means now.
   * @throws TypeError / RangeError on bad input (nothing is written), Error for an unknown handler
   *   unless allowUnknownHandlers.
   */
  async addTask(name: string, dueTimeMs: number, taskInfo: string): Promise<void> {
    await this.addTasks([{ name, dueTimeMs, taskInfo }]);
  }

  /** Schedules many tasks with one script call per 1,000 tasks of a name. Checks all before writing any. */
  async addTasks(tasks: readonly TaskSpec[]): Promise<void> {
    if (!Array.isArray(tasks)) throw new TypeError('redis_scheduler: addTasks expects an array of { name, dueTimeMs, taskInfo }');
    // name -> flat (dueTimeMs, taskInfo) pairs, the way add.lua takes them
    const pairsByName = new Map<string, string[]>();
    for (const task of tasks) {
      let pairs = pairsByName.get(task?.name);
      if (pairs) {
        // The name passed every check with an earlier task of this call.
        this.checkTaskFields(task.dueTimeMs, task.taskInfo);
      } else {
        this.checkTask(task?.name, task?.dueTimeMs, task?.taskInfo);
        pairsByName.set(task.name, (pairs = []));
      }
      pairs.push(String(task.dueTimeMs), task.taskInfo);
    }
    const writes: Array<Promise<void>> = [];
    for (const [name, pairs] of pairsByName) {
      for (let i = 0; i < pairs.length; i += 2 * ADD_CHUNK) {
        // From the second chunk on, let the client send what is queued first, so Redis runs a chunk
        // while this process encodes the next one instead of waiting for all of them.
        if (writes.length > 0) await nextTurn();
        const write = this.addChunk(name, pairs.slice(i, i + 2 * ADD_CHUNK));
        write.catch(() => undefined); // rejections are reported by Promise.all below, not as unhandled
        writes.push(write);
      }
    }
    await Promise.all(writes);
  }

  /**
   * Cancels the task (name, taskInfo) whatever its state: scheduled, waiting for a retry, or running
   * (a running one is not retried, and its handler's signal fires). Resolves to whether it was found.
   */
  async removeTask(name: string, taskInfo: string): Promise<boolean> {
    checkHandlerName(name);
    checkTaskInfo(taskInfo, this.options.maxTaskInfoBytes);
    const found = await this.scripts.remove(this.keys.forHandler(name), taskInfo);
    const mine = this.held.get(name)?.get(taskInfo);
    if (mine) this.loseLease(mine, 'the task was removed');
    return found;
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
    return this.recurrence.upsert(name, grid, taskInfo);
  }

  /** The recurring tasks of `name`, or of every name: schedule, next due time, last run and outcome. */
  async getRecurringTasks(name?: string): Promise<RecurringTask[]> {
    if (name !== undefined) {
      checkHandlerName(name);
      return this.recurrence.list([name]);
    }
    const stored = (await this.client.sendCommand(['SMEMBERS', this.keys.names])) as Iterable<string>;
    return this.recurrence.list([...new Set([...Array.from(stored, String), ...this.handlers.keys()])].sort());
  }

  /** Starts claiming and running due tasks of the registered handlers on this node. */
  async start(): Promise<void> {
    await this.stopping;
    if (this.listening) return;
    this.listening = true;
    this.client.on('ready', this.onReconnect);
    this.renewTimer = setInterval(() => this.renewer.request(), Math.max(50, Math.floor(this.options.leaseMs / 3)));
    // Neither may hang the caller while Redis is unreachable; both carry on in the background.
    await waitAtMost(this.warnIfEvictable(), 2_000);
    await waitAtMost(this.subscribe(), 2_000);
    this.poller.request();
  }

  /**
   * Stops claiming, clears every timer, waits up to shutdownTimeoutMs for running handlers, then
   * hands the tasks still running back to Redis at once (their signal fires; no attempt is used).
   */
  async stop(): Promise<void> {
    if (this.listening) {
      this.listening = false;
      this.stopping = this.shutdown().finally(() => {
        this.stopping = undefined;
      });
    }
    await this.stopping;
  }

  /** Counts per handler name: every name that has had a task, and every name handled here. */
  async getStats(): Promise<HandlerStats[]> {
    const stored = (await this.client.sendCommand(['SMEMBERS', this.keys.names])) as Iterable<string>;
    const names = new Set<string>([...Array.from(stored, String), ...this.handlers.keys()]);
    return Promise.all(
      [...names].sort().map(async (name) => {
        const keys = this.keys.forHandler(name);
        const [[scheduled, running, dead], recurring] = await Promise.all([
          Promise.all([keys.due, keys.lease, keys.dead].map(async (key) => Number(await this.client.sendCommand(['ZCARD', key])))),
          this.recurrence.counts(name),
        ]);
        return { name, scheduled, running, dead, handledHere: this.handlers.has(name), ...recurring };
      }),
    );
  }

  /** The oldest dead tasks of a name (most `limit`), with their last error and attempt count. */
  async getDeadTasks(name: string, limit = 100): Promise<DeadTask[]> {
    checkHandlerName(name);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_DEAD_TASKS_LIMIT) {
      throw new RangeError(`redis_scheduler: getDeadTasks limit must be an integer from 1 to ${MAX_DEAD_TASKS_LIMIT}, received ${String(limit)}`);
    }
    const keys = this.keys.forHandler(name);
    const members = (await this.client.sendCommand(['ZRANGE', keys.dead, '0', String(limit - 1)])) as string[];
    if (members.length === 0) return [];
    const infos = (await this.client.sendCommand(['HMGET', keys.deadInfo, ...members])) as Array<string | null>;
    return members.map((taskInfo, i) => {
      const info = JSON.parse(infos[i] ?? '{}') as Partial<DeadTask>;
      return { taskInfo, error: String(info.error ?? ''), attempts: Number(info.attempts ?? 0), diedAtMs: Number(info.diedAtMs ?? 0) };
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

  /** Adds tasks of one name: `pairs` is (dueTimeMs, taskInfo, dueTimeMs, taskInfo, ...). */
  private async addChunk(name: string, pairs: string[]): Promise<void> {
    const delayMs = await this.scripts.add(this.keys.forHandler(name), this.keys.names, name, this.keys.wakeChannel, pairs);
    if (delayMs >= 0 && this.handlers.has(name)) this.wakeWithin(delayMs);
  }

  // ---- the claim loop ----

  private readonly onReconnect = (): void => {
    this.log.debug('connection ready: claiming at once');
    this.poller.request();
  };

  /** Arms the wake-up timer unless it already fires sooner. Only relative times: no local clock is trusted. */
  private wakeWithin(delayMs: number): void {
    if (!this.listening) return;
    const atMs = performance.now() + delayMs;
    if (atMs >= this.wakeAtMs) return;
    clearTimeout(this.wakeTimer);
    this.wakeAtMs = atMs;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAtMs = Infinity;
      this.poller.request();
    }, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
  }

  private clearWakeTimer(): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAtMs = Infinity;
  }

  /** One pass over the handled names: claim what is due, start it, and arm the next wake-up. */
  private async poll(): Promise<void> {
    if (!this.listening) return;
    this.clearWakeTimer();
    this.recurrence.advanceSoon(this.handlers.keys()); // recurring: next ticks of ended ticks
    let nextDelayMs = this.options.safetyPollMs * (0.8 + 0.4 * Math.random());
    let backlog = false;
    try {
      for (const name of this.handlerNamesInTurn()) {
        const free = this.options.concurrency - this.running;
        if (free <= 0 || this.claimingPaused()) {
          backlog = true;
          break;
        }
        const delayMs = await this.claimAndRun(name, Math.min(free, this.options.claimBatchSize));
        if (delayMs === 0) backlog = true;
        else if (delayMs > 0) nextDelayMs = Math.min(nextDelayMs, delayMs);
      }
    } catch (err) {
      this.log.error('claim failed; trying again shortly:', errorMessage(err));
      nextDelayMs = Math.min(nextDelayMs, ERROR_RETRY_MS);
    }
    this.backlog = backlog;
    // More is due and there is room: go on at once. Otherwise a handler's end triggers the next poll.
    if (backlog && this.running < this.options.concurrency && !this.claimingPaused()) this.poller.request();
    this.wakeWithin(nextDelayMs);
  }

  /** A suspect runs alone here, or waits for this node to be idle. */
  private claimingPaused(): boolean {
    return this.isolatedTask !== undefined || (this.awaitingIdle && this.running > 0);
  }

  /** Handler names, starting one further each pass so a busy name cannot starve the others. */
  private handlerNamesInTurn(): string[] {
    const names = [...this.handlers.keys()];
    if (names.length === 0) return names;
    const start = this.nameCursor++ % names.length;
    return [...names.slice(start), ...names.slice(0, start)];
  }

  /** Claims up to `limit` tasks of one name and starts them; returns that name's next delay. */
  private async claimAndRun(name: string, limit: number): Promise<number> {
    const keys = this.keys.forHandler(name);
    const token = `${this.nodeId}:${++this.claimSeq}`;
    const runningHere = this.running;
    let result: ClaimResult;
    try {
      result = await this.scripts.claim(keys, limit, token, runningHere, this.claimSettings);
    } catch (err) {
      this.releaseLostClaim(keys, token);
      throw err;
    }
    const claimed = result.tasks.map((task): HeldTask => ({ ...task, name, succeeded: false }));
    if (result.isolation === Isolation.WaitForIdle) this.awaitingIdle = true;
    else if (runningHere === 0) this.awaitingIdle = false;
    if (!this.listening) {
      await this.handBack(claimed);
      return result.nextDelayMs;
    }
    if (result.isolation === Isolation.RunAlone) this.isolatedTask = claimed[0];
    for (const task of claimed) this.run(task);
    return result.nextDelayMs;
  }

  /**
   * The claim script may have run even though its reply was lost: hand back what it leased (sent
   * once the connection is back) so those tasks neither wait for their lease nor lose an attempt.
   */
  private releaseLostClaim(keys: TaskKeys, token: string): void {
    const release = this.scripts
      .releaseClaim(keys, token)
      .then((count) => {
        if (count > 0) this.log.warn(`handed back ${count} task(s) of a claim whose reply was lost`);
      })
      .catch((err: unknown) => this.log.warn(`could not hand back a lost claim (${errorMessage(err)}); its tasks run after their lease`))
      .finally(() => this.lostClaimReleases.delete(release));
    this.lostClaimReleases.add(release);
  }

  // ---- running ----

  private run(task: HeldTask): void {
    let tasks = this.held.get(task.name);
    if (!tasks) this.held.set(task.name, (tasks = new Map()));
    tasks.set(task.taskInfo, task);
    this.running++;
    void this.execute(task);
  }

  /** Runs the handler and records the outcome; never rejects. */
  private async execute(task: HeldTask): Promise<void> {
    try {
      const handler = this.handlers.get(task.name);
      if (!handler) {
        await this.handBack([task]);
        return;
      }
      const context: TaskContext = {
        name: task.name,
        attempt: task.attempt,
        maxAttempts: this.claimSettings.maxAttempts,
        dueTimeMs: task.dueTimeMs,
        get signal() {
          return signalOf(task);
        },
      };
      let failure: unknown;
      let failed = false;
      try {
        await handler(task.taskInfo, context);
      } catch (err) {
        failed = true;
        failure = err;
      }
      if (!this.isHeld(task)) {
        this.log.warn(`task of "${task.name}" finished after its lease was lost or handed back; its outcome is discarded`);
      } else if (failed) {
        await this.recordFailure(task, failure);
      } else {
        task.succeeded = true;
        this.ackQueue.push(task);
        this.acker.request();
      }
    } finally {
      this.running--;
      if (this.running === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      if (this.isolatedTask === task) this.isolatedTask = undefined;
      if (this.backlog) this.poller.request();
    }
  }

  private isHeld(task: HeldTask): boolean {
    return this.held.get(task.name)?.get(task.taskInfo) === task;
  }

  private untrack(task: HeldTask): void {
    const tasks = this.held.get(task.name);
    if (tasks?.get(task.taskInfo) === task) {
      tasks.delete(task.taskInfo);
      if (tasks.size === 0) this.held.delete(task.name);
    }
  }

  private loseLease(task: HeldTask, reason: string): void {
    if (!this.isHeld(task)) return;
    this.untrack(task);
    this.log.warn(`lease on a task of "${task.name}" lost (${reason}); its handler is aborted`);
    abortTask(task, new Error(`redis_scheduler: ${reason}`));
  }

  private retryDelayMs(attempt: number): number {
    const { retryDelayMs, retryBackoff, retryJitter, maxRetryDelayMs } = this.options;
    const base = Math.min(retryBackoff === 'exponential' ? retryDelayMs * 2 ** (attempt - 1) : retryDelayMs, maxRetryDelayMs);
    return Math.max(0, Math.round(base * (1 + retryJitter * (2 * Math.random() - 1))));
  }

  private async recordFailure(task: HeldTask, failure: unknown): Promise<void> {
    const delayMs = this.retryDelayMs(task.attempt);
    const error = errorText(failure).slice(0, MAX_ERROR_CHARS);
    const where = `task of "${task.name}" failed (attempt ${task.attempt}/${this.claimSettings.maxAttempts}): ${errorMessage(failure)}`;
    try {
      const outcome = await this.scripts.fail(this.keys.forHandler(task.name), task, error, this.claimSettings.maxAttempts, delayMs);
      if (outcome === FailOutcome.Retry) {
        this.log.warn(`${where}; retry in ${delayMs} ms`);
        if (this.handlers.has(task.name)) this.wakeWithin(delayMs);
      } else if (outcome === FailOutcome.Dead) {
        this.log.error(`${where}; no attempts left: moved to the dead set`);
        this.recurrence.advanceSoon([task.name]); // recurring: next tick of a dead tick
      } else {
        this.log.warn(`${where}; not retried: the task was removed or its lease lost`);
      }
    } catch (err) {
      this.log.error(`${where}; could not record it (${errorMessage(err)}): it runs again when its lease expires`);
    } finally {
      this.untrack(task);
    }
  }

  // ---- acknowledgements, renewals, hand-back ----

  /** Acknowledges every succeeded task queued so far, one script call per name. */
  private async flushAcks(): Promise<void> {
    const batch = this.ackQueue.splice(0);
    await Promise.all(
      [...groupByName(batch)].map(async ([name, tasks]) => {
        try {
          const refused = await this.scripts.complete(this.keys.forHandler(name), tasks);
          if (refused.length > 0) this.log.warn(`${refused.length} acknowledgement(s) of "${name}" refused: lease lost meanwhile`);
          this.recurrence.advanceSoon([name]); // recurring: next ticks of ended ticks
          for (const task of tasks) this.untrack(task);
        } catch (err) {
          this.requeueAcks(name, tasks, err);
        }
      }),
    );
  }

  private requeueAcks(name: string, tasks: HeldTask[], err: unknown): void {
    if (!this.listening) {
      this.log.error(`could not acknowledge ${tasks.length} task(s) of "${name}" (${errorMessage(err)}); they run again after their lease`);
      for (const task of tasks) this.untrack(task);
      return;
    }
    this.log.warn(`could not acknowledge ${tasks.length} task(s) of "${name}" (${errorMessage(err)}); retrying`);
    this.ackQueue.push(...tasks);
    this.ackRetryTimer ??= setTimeout(() => {
      this.ackRetryTimer = undefined;
      this.acker.request();
    }, ERROR_RETRY_MS);
  }

  /** Extends the lease of every task this node holds; aborts the handlers whose lease is lost. */
  private async renewLeases(): Promise<void> {
    await Promise.all(
      [...this.held].map(async ([name, tasks]) => {
        const list = [...tasks.values()];
        try {
          const lost = await this.scripts.renew(this.keys.forHandler(name), this.options.leaseMs, list);
          for (const task of lost) this.loseLease(task, 'lease expired or the task was removed');
        } catch (err) {
          this.log.warn(`could not renew ${list.length} lease(s) of "${name}": ${errorMessage(err)}`);
        }
      }),
    );
  }

  /** Returns tasks to Redis under their due time without using an attempt; their handlers are aborted. */
  private async handBack(tasks: HeldTask[]): Promise<void> {
    for (const task of tasks) {
      this.untrack(task);
      abortTask(task, new Error('redis_scheduler: the node is shutting down; the task was handed back'));
    }
    await Promise.all(
      [...groupByName(tasks)].map(async ([name, list]) => {
        try {
          const count = await this.scripts.release(this.keys.forHandler(name), list);
          if (count > 0) this.log.info(`handed ${count} task(s) of "${name}" back`);
        } catch (err) {
          this.log.error(`could not hand ${list.length} task(s) of "${name}" back (${errorMessage(err)}); they run again after their lease`);
        }
      }),
    );
  }

  // ---- start and stop ----

  private async subscribe(): Promise<void> {
    const subscriber = this.client.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', (err: unknown) => this.log.warn('subscriber connection:', errorMessage(err)));
    subscriber.on('ready', this.onReconnect);
    try {
      await subscriber.connect();
      await subscriber.subscribe(this.keys.wakeChannel, (message: string) => this.onWakeMessage(message));
    } catch (err) {
      this.log.warn(`could not subscribe to wake-ups (${errorMessage(err)}); the safety poll stands in`);
    }
  }

  /** "<delayMs> <name>", published by add.lua when an add makes a task the earliest of its name. */
  private onWakeMessage(message: string): void {
    const space = message.indexOf(' ');
    const delayMs = Number(message.slice(0, space));
    if (this.handlers.has(message.slice(space + 1)) && Number.isFinite(delayMs)) this.wakeWithin(delayMs);
  }

  /** Warns once if Redis may evict keys (an evicted key is a lost task). */
  private async warnIfEvictable(): Promise<void> {
    if (this.evictionChecked) return;
    this.evictionChecked = true;
    const policy = await this.readEvictionPolicy();
    if (policy === undefined) {
      this.log.warn('could not read Redis maxmemory-policy; make sure it is "noeviction", or Redis may evict task keys and lose tasks');
    } else if (!SAFE_EVICTION_POLICIES.has(policy)) {
      this.log.warn(
        `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict task keys and lose tasks. Set maxmemory-policy to "noeviction".`,
      );
    }
  }

  /** maxmemory-policy from CONFIG GET, else from INFO memory (managed Redis often disables CONFIG). */
  private async readEvictionPolicy(): Promise<string | undefined> {
    try {
      const reply = (await this.client.sendCommand(['CONFIG', 'GET', 'maxmemory-policy'])) as unknown;
      return Array.isArray(reply) ? String(reply[1]) : String((reply as Record<string, unknown>)['maxmemory-policy']);
    } catch (err) {
      this.log.debug('CONFIG GET maxmemory-policy failed:', errorMessage(err));
    }
    try {
      const info = String(await this.client.sendCommand(['INFO', 'memory']));
      return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
    } catch (err) {
      this.log.debug('INFO memory failed:', errorMessage(err));
      return undefined;
    }
  }

  /**
   * Bounded even while Redis is down: running handlers get what is left of shutdownTimeoutMs, and
   * the Redis writes after them (hand-back, acknowledgements) SHUTDOWN_REDIS_GRACE_MS in all.
   * A task that could not be handed back keeps its lease and runs again after it.
   */
  private async shutdown(): Promise<void> {
    const within = (budgetMs: number) => {
      const endMs = performance.now() + budgetMs;
      return (step: Promise<unknown>) => waitAtMost(step, Math.max(0, endMs - performance.now()));
    };
    const beforeDeadline = within(this.options.shutdownTimeoutMs);
    this.clearWakeTimer();
    this.client.off('ready', this.onReconnect);
    await beforeDeadline(this.closeSubscriber());
    await beforeDeadline(this.poller.settled());
    if (this.running > 0) await beforeDeadline(new Promise<void>((resolve) => this.idleWaiters.push(resolve)));

    const inGrace = within(SHUTDOWN_REDIS_GRACE_MS);
    const stillRunning = [...this.held.values()].flatMap((tasks) => [...tasks.values()]).filter((task) => !task.succeeded);
    if (!(await inGrace(this.handBack(stillRunning)))) {
      this.log.error(`Redis did not answer: ${stillRunning.length} task(s) not handed back run again after their lease`);
    }
    await inGrace(this.acker.settled());
    clearTimeout(this.ackRetryTimer);
    this.ackRetryTimer = undefined;
    if (this.ackQueue.length > 0) await inGrace(this.flushAcks());
    await inGrace(Promise.all([this.renewer.settled(), this.recurrence.settled(), ...this.lostClaimReleases]));
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  private async closeSubscriber(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (!subscriber) return;
    subscriber.off('ready', this.onReconnect);
    try {
      if (subscriber.isReady) await subscriber.close();
      else if (subscriber.isOpen) subscriber.destroy();
    } catch (err) {
      this.log.debug('closing the subscriber:', errorMessage(err));
    }
  }
}

/** The task's AbortSignal, created on first use (already aborted if the task was). */
function signalOf(task: HeldTask): AbortSignal {
  if (!task.abort) {
    task.abort = new AbortController();
    if (task.abortReason) task.abort.abort(task.abortReason);
  }
  return task.abort.signal;
}

/** Fires the task's signal, or records the reason for when the handler first reads it. */
function abortTask(task: HeldTask, reason: Error): void {
  if (task.abort) task.abort.abort(reason);
  else task.abortReason ??= reason;
}

/** Resolves after the callbacks already queued for this event-loop turn (setImmediate is FIFO). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function groupByName(tasks: HeldTask[]): Map<string, HeldTask[]> {
  const groups = new Map<string, HeldTask[]>();
  for (const task of tasks) {
    const list = groups.get(task.name) ?? [];
    list.push(task);
    groups.set(task.name, list);
  }
  return groups;
}

/** The full text of an error (its stack if it has one), as the dead set keeps it. */
function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message;
  return errorMessage(err);
}

/** One line about an error, for logs. */
function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
