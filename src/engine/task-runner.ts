import type { KeySpace } from './keys';
import type { SchedulerOptions } from './options';
import { FailOutcome, type ClaimedTask, type Scripts } from './scripts';
import { abortTask, groupByBucket, retentionPerBucket, signalOf, type HeldTask } from './held-task';
import { AckQueue } from './ack-queue';
import { SingleFlight } from './single-flight';
import { describeTask } from './describe';
import { errorMessage, errorText } from './errors';
import type { SchedulerLogger } from './logger';
import type { RunOutcome, RunRecorder } from './metrics';
import type { TaskContext, TaskHandler } from '../interfaces/redis_scheduler/beta/types';

/** What the runner needs from the node around it. */
export interface RunnerHooks {
  /** A slot became free, a suspect ended or the node became idle: claim again if there is work. */
  onSlotFree(): void;
  /** A retry in bucket `bucket` of a handled name is due in `delayMs`. */
  wakeBucket(name: string, bucket: number, delayMs: number): void;
  /** Whether the node is listening (else a failed acknowledgement is not retried). */
  isListening(): boolean;
  /** Tasks of a bucket of `name` ended (acknowledged, or dead): a recurring one's next tick is to be scheduled. */
  onTicksEnded(name: string, bucket: number): void;
}

const MAX_ERROR_CHARS = 4_096;

/**
 * Runs claimed tasks under their lease: starts the handlers, renews the leases, records each
 * outcome (batched acknowledgements, failures, hand-backs) and fires a handler's signal when its
 * task is removed or its lease lost.
 */
export class TaskRunner {
  /** name -> taskInfo -> claim held by this node */
  private readonly held = new Map<string, Map<string, HeldTask>>();
  private readonly acks: AckQueue;
  private readonly renewer = new SingleFlight(() => this.renewLeases());
  private renewTimer?: NodeJS.Timeout;
  private idleWaiters: Array<() => void> = [];
  /**
   * Removals announced for claims of this node not (yet) running here: pub/sub and the claim's reply
   * travel on different connections, so the removal may come first. claim token -> when (ms, local).
   */
  private readonly earlyCancels = new Map<string, number>();
  /** Handlers running now, including those whose task was handed back but which ignore their signal. */
  running = 0;
  /** The suspect running alone here, if any: nothing else is claimed meanwhile. */
  isolatedTask?: HeldTask;

  /**
   * No handler runs and this node holds no lease: every ended run's outcome is written. Only then
   * may it take a suspect to run alone: a suspect that kills the node before a finished task's
   * acknowledgement lands would let that lease expire and charge the finished task an attempt.
   */
  get unoccupied(): boolean {
    return this.running === 0 && this.held.size === 0;
  }

  constructor(
    private readonly scripts: Scripts,
    private readonly keys: KeySpace,
    private readonly options: SchedulerOptions,
    private readonly handlers: ReadonlyMap<string, TaskHandler>,
    private readonly log: SchedulerLogger,
    private readonly hooks: RunnerHooks,
    private readonly recorder: RunRecorder,
  ) {
    this.acks = new AckQueue(scripts, keys, log, hooks, (task) => this.untrackAcknowledged(task));
  }

  get maxAttempts(): number {
    return this.options.maxRetries + 1;
  }

  /** Renews the leases every third of leaseMs from now on. */
  startRenewing(): void {
    this.renewTimer ??= setInterval(() => this.renewer.request(), Math.max(50, Math.floor(this.options.leaseMs / 3)));
  }

  /** Renews every lease held here now (coalesced with a renewal under way). */
  renewNow(): void {
    this.renewer.request();
  }

  /** Starts a claimed task's handler; `isolated`: a suspect, run alone (nothing else is claimed meanwhile). */
  run(task: ClaimedTask, name: string, bucket: number, isolated: boolean): void {
    // Every field written here, in one order: one object shape for every held task (no spread).
    const held: HeldTask = {
      taskInfo: task.taskInfo,
      token: task.token,
      dueTimeMs: task.dueTimeMs,
      attempt: task.attempt,
      name,
      bucket,
      abort: undefined,
      abortReason: undefined,
      succeeded: false,
      cancelled: false,
      handedBack: false,
    };
    // An earlier run of this task still going on here lost its lease (this node stalled past it).
    const earlier = this.held.get(name)?.get(task.taskInfo);
    if (earlier) this.loseLease(earlier);
    let tasks = this.held.get(name);
    if (!tasks) this.held.set(name, (tasks = new Map()));
    tasks.set(task.taskInfo, held);
    if (this.earlyCancels.size > 0 && this.earlyCancels.delete(task.token)) this.markCancelled(held);
    if (isolated) this.isolatedTask = held;
    this.running++;
    void this.execute(held);
  }

  /** The task was removed while running here (by this node or another): fire its signal. */
  cancel(name: string, taskInfo: string): void {
    const task = this.held.get(name)?.get(taskInfo);
    if (task) this.markCancelled(task);
  }

  /** Same, from the claim named in a removal's pub/sub message (this node's claims only). */
  cancelByClaim(token: string): void {
    for (const tasks of this.held.values()) {
      for (const task of tasks.values()) {
        if (task.token === token) return this.markCancelled(task);
      }
    }
    const nowMs = performance.now();
    for (const [early, atMs] of this.earlyCancels) if (nowMs - atMs > this.options.leaseMs) this.earlyCancels.delete(early);
    this.earlyCancels.set(token, nowMs);
  }

  /** Resolves once no handler runs (or at once). */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * At shutdown, once handlers had their time: hands back what still runs, sends the last
   * acknowledgements and stops renewing. Each step is bounded by `inGrace`.
   */
  async shutdown(inGrace: (step: Promise<unknown>) => Promise<boolean>): Promise<void> {
    const stillRunning = [...this.held.values()].flatMap((tasks) => [...tasks.values()]).filter((task) => !task.succeeded);
    if (!(await inGrace(this.handBack(stillRunning)))) {
      this.log.error(`Redis did not answer: ${stillRunning.length} task(s) not handed back run again after their lease`);
    }
    await this.acks.shutdown(inGrace);
    await inGrace(this.renewer.settled());
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    if (this.running > 0) {
      this.log.warn(
        `${this.running} handler(s) still run after their signal fired: their tasks were handed back, and they count against concurrency until they return`,
      );
    }
  }

  /** Returns tasks to Redis under their due time without using an attempt; their handlers are aborted. */
  async handBack(tasks: HeldTask[]): Promise<void> {
    for (const task of tasks) {
      this.untrack(task);
      task.handedBack = true;
      if (this.isolatedTask === task) this.isolatedTask = undefined;
      abortTask(task, new Error('redis_scheduler: the node is shutting down; the task was handed back'));
    }
    await Promise.all(
      groupByBucket(tasks).map(async ({ name, bucket, tasks: list }) => {
        try {
          const count = await this.scripts.release(this.keys.forBucket(name, bucket), name, list);
          if (count > 0) this.log.info(`handed ${count} task(s) of "${name}" back`);
        } catch (err) {
          this.log.error(`could not hand ${list.length} task(s) of "${name}" back (${errorMessage(err)}); they run again after their lease`);
        }
      }),
    );
  }

  /** Runs the handler and records the outcome; never rejects. */
  private async execute(task: HeldTask): Promise<void> {
    const endRun = this.recorder.runStarted(task.name, task.dueTimeMs);
    try {
      const handler = this.handlers.get(task.name);
      if (!handler) {
        await this.handBack([task]);
        endRun('handed_back');
        return;
      }
      if (task.cancelled) {
        // removed before its handler could start: only free the lease (see complete.lua)
        this.acknowledge(task);
        endRun('lease_expired');
        return;
      }
      const context: TaskContext = {
        name: task.name,
        attempt: task.attempt,
        maxAttempts: this.maxAttempts,
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
        this.log.warn(`task ${describeTask(task.name, task.taskInfo)} finished after its lease was lost or handed back; its outcome is discarded`);
        endRun(task.handedBack ? 'handed_back' : 'lease_expired');
      } else if (failed && !task.cancelled) {
        endRun(await this.recordFailure(task, failure));
      } else {
        // a cancelled run's acknowledgement only frees its lease (see complete.lua)
        this.acknowledge(task);
        endRun(task.cancelled ? 'lease_expired' : 'success');
      }
    } finally {
      this.running--;
      if (this.running === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      if (this.isolatedTask === task) this.isolatedTask = undefined;
      this.hooks.onSlotFree();
    }
  }

  private acknowledge(task: HeldTask): void {
    task.succeeded = true;
    this.acks.push(task);
  }

  private markCancelled(task: HeldTask): void {
    if (task.cancelled || !this.isHeld(task)) return;
    task.cancelled = true;
    this.log.info(`running task ${describeTask(task.name, task.taskInfo)} was removed; its handler is aborted`);
    abortTask(task, new Error('redis_scheduler: the task was removed'));
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

  /** Forgets an acknowledged task; once the last lease held here is written off, a suspect left for an idle node may go. */
  private untrackAcknowledged(task: HeldTask): void {
    this.untrack(task);
    if (this.unoccupied) this.hooks.onSlotFree();
  }

  private loseLease(task: HeldTask): void {
    if (!this.isHeld(task)) return;
    this.untrack(task);
    this.log.warn(`lease on task ${describeTask(task.name, task.taskInfo)} lost (it expired and was reclaimed); its handler is aborted`);
    abortTask(task, new Error('redis_scheduler: lease expired'));
  }

  private retryDelayMs(attempt: number): number {
    const { retryDelayMs, retryBackoff, retryJitter, maxRetryDelayMs } = this.options;
    const base = Math.min(retryBackoff === 'exponential' ? retryDelayMs * 2 ** (attempt - 1) : retryDelayMs, maxRetryDelayMs);
    return Math.max(0, Math.round(base * (1 + retryJitter * (2 * Math.random() - 1))));
  }

  /** Records the failure in Redis; resolves to the run's outcome. */
  private async recordFailure(task: HeldTask, failure: unknown): Promise<RunOutcome> {
    const delayMs = this.retryDelayMs(task.attempt);
    const error = errorText(failure).slice(0, MAX_ERROR_CHARS);
    const where = `task ${describeTask(task.name, task.taskInfo)} failed (attempt ${task.attempt}/${this.maxAttempts}): ${errorMessage(failure)}`;
    try {
      const keys = this.keys.forBucket(task.name, task.bucket);
      const retention = retentionPerBucket(this.options.deadRetention, this.keys.buckets);
      const outcome = await this.scripts.fail(keys, task.name, task, error, this.maxAttempts, delayMs, retention);
      if (outcome === FailOutcome.Retry) {
        this.log.warn(`${where}; retry in ${delayMs} ms`);
        if (this.handlers.has(task.name)) this.hooks.wakeBucket(task.name, task.bucket, delayMs);
        return 'retry';
      } else if (outcome === FailOutcome.Dead) {
        this.log.error(`${where}; no attempts left: moved to the dead set`);
        this.hooks.onTicksEnded(task.name, task.bucket);
        return 'dead';
      } else if (outcome === FailOutcome.Detached) {
        this.log.warn(`${where}; not retried: the task was removed or re-added meanwhile`);
      } else {
        this.log.warn(`${where}; not retried: its lease was lost meanwhile`);
      }
    } catch (err) {
      this.log.error(`${where}; could not record it (${errorMessage(err)}): it runs again when its lease expires`);
    } finally {
      this.untrack(task);
    }
    return 'failure';
  }

  /** Extends the lease of every task this node holds; aborts the handlers whose lease is lost or task removed. */
  private async renewLeases(): Promise<void> {
    await Promise.all(
      groupByBucket([...this.held.values()].flatMap((tasks) => [...tasks.values()])).map(async ({ name, bucket, tasks: list }) => {
        try {
          const { lost, cancelled } = await this.scripts.renew(this.keys.forBucket(name, bucket), this.options.leaseMs, list);
          for (const task of lost) this.loseLease(task);
          for (const task of cancelled) this.markCancelled(task);
        } catch (err) {
          this.log.warn(`could not renew ${list.length} lease(s) of "${name}": ${errorMessage(err)}`);
        }
      }),
    );
  }
}
