import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { KeySpace, TaskKeys } from './keys';
import type { SchedulerLogger } from './logger';
import type { SchedulerOptions } from './options';
import { Isolation, type ClaimSettings, type Scripts } from './scripts';
import { SingleFlight } from './single-flight';
import { errorMessage } from './errors';
import type { TaskRunner } from './task-runner';
import type { TaskHandler } from '../interfaces/redis_scheduler/beta/types';

/** Schedules the next ticks of the recurring tasks whose tick ended (recurrence.ts). */
export interface TickAdvancer {
  advanceSoon(names: Iterable<string>): void;
}

const EXPIRED_LEASE_ERROR = 'lease expired: the node running the task stopped or stalled';
const MAX_TIMER_MS = 2 ** 31 - 1;
const ERROR_RETRY_MS = 1_000;

/** What the claim loop needs from the node around it. */
export interface ClaimLoopContext {
  scripts: Scripts;
  keys: KeySpace;
  options: SchedulerOptions;
  handlers: ReadonlyMap<string, TaskHandler>;
  runner: TaskRunner;
  log: SchedulerLogger;
  isListening(): boolean;
  /** Asked at each claim pass, so an ended tick whose advance was missed (crash, Redis error) is picked up. */
  advancer: TickAdvancer;
}

/**
 * Claims due tasks of the handled names and hands them to the runner. Woken by a timer to the next
 * due task, by pub/sub messages, by a jittered safety poll, by a reconnect and by a free slot.
 */
export class ClaimLoop {
  private readonly poller = new SingleFlight(() => this.poll());
  private readonly nodeId = randomBytes(6).toString('base64url');
  private readonly claimSettings: ClaimSettings;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAtMs = Infinity;
  /** More was due than this node could take: claim again when a slot frees. */
  private backlog = false;
  /** A due suspect was left for an idle node: claim again when this node is idle. */
  private suspectLeft = false;
  /** Hand-backs of claims whose reply was lost, in flight. */
  private readonly lostClaimReleases = new Set<Promise<void>>();
  private claimSeq = 0;
  private nameCursor = 0;

  constructor(private readonly ctx: ClaimLoopContext) {
    this.claimSettings = {
      leaseMs: ctx.options.leaseMs,
      maxAttempts: ctx.options.maxRetries + 1,
      expiredError: EXPIRED_LEASE_ERROR,
      deadRetention: ctx.options.deadRetention,
    };
  }

  /** Claims at once (coalesced with other requests). */
  request(): void {
    this.poller.request();
  }

  /** A handler ended: claim again if work waits for a slot, or a suspect for an idle node. */
  onSlotFree(): void {
    if (this.backlog || (this.suspectLeft && this.ctx.runner.running === 0)) this.poller.request();
  }

  /** Arms the wake-up timer unless it already fires sooner. Only relative times: no local clock is trusted. */
  wakeWithin(delayMs: number): void {
    if (!this.ctx.isListening()) return;
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

  /** "<delayMs> <name>": a task became due (add, retry, hand-back); "! <claim>": a running task was removed. */
  onWakeMessage(message: string): void {
    const space = message.indexOf(' ');
    const head = message.slice(0, space);
    const rest = message.slice(space + 1);
    if (head === '!') {
      if (rest.startsWith(`${this.nodeId}:`)) this.ctx.runner.cancelByClaim(rest);
      return;
    }
    const delayMs = Number(head);
    if (this.ctx.handlers.has(rest) && Number.isFinite(delayMs)) this.wakeWithin(delayMs);
  }

  /** Stops the timer and waits for the claim in flight and the lost-claim hand-backs. */
  async stop(bounded: (step: Promise<unknown>) => Promise<boolean>): Promise<void> {
    this.clearWakeTimer();
    await bounded(this.poller.settled());
    this.clearWakeTimer();
  }

  /** Lost-claim hand-backs still in flight. */
  releasesInFlight(): Promise<unknown> {
    return Promise.all(this.lostClaimReleases);
  }

  private clearWakeTimer(): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAtMs = Infinity;
  }

  /** One pass over the handled names: claim what is due, start it, and arm the next wake-up. */
  private async poll(): Promise<void> {
    if (!this.ctx.isListening()) return;
    const { options, runner } = this.ctx;
    this.clearWakeTimer();
    this.ctx.advancer.advanceSoon(this.ctx.handlers.keys());
    let nextDelayMs = options.safetyPollMs * (0.8 + 0.4 * Math.random());
    let backlog = false;
    this.suspectLeft = false;
    try {
      for (const name of this.handlerNamesInTurn()) {
        const free = options.concurrency - runner.running;
        if (free <= 0 || runner.isolatedTask) {
          backlog = true;
          break;
        }
        const delayMs = await this.claimAndRun(name, Math.min(free, options.claimBatchSize));
        if (delayMs === 0) backlog = true;
        else if (delayMs > 0) nextDelayMs = Math.min(nextDelayMs, delayMs);
      }
    } catch (err) {
      this.ctx.log.error(`claim failed; trying again within ${ERROR_RETRY_MS} ms: ${errorMessage(err)}`);
      nextDelayMs = Math.min(nextDelayMs, ERROR_RETRY_MS);
    }
    this.backlog = backlog;
    // More is due and there is room: go on at once. Otherwise a handler's end triggers the next poll.
    if (backlog && runner.running < options.concurrency && !runner.isolatedTask) this.poller.request();
    this.wakeWithin(nextDelayMs);
  }

  /** Handler names, starting one further each pass so a busy name cannot starve the others. */
  private handlerNamesInTurn(): string[] {
    const names = [...this.ctx.handlers.keys()];
    if (names.length === 0) return names;
    const start = this.nameCursor++ % names.length;
    return [...names.slice(start), ...names.slice(0, start)];
  }

  /** Claims up to `limit` tasks of one name and starts them; returns that name's next delay. */
  private async claimAndRun(name: string, limit: number): Promise<number> {
    const { scripts, runner } = this.ctx;
    const keys = this.ctx.keys.forHandler(name);
    const token = `${this.nodeId}:${++this.claimSeq}`;
    let result;
    try {
      result = await scripts.claim(keys, limit, token, runner.running, this.claimSettings);
    } catch (err) {
      this.releaseLostClaim(keys, name, token);
      throw err;
    }
    if (result.isolation === Isolation.LeftForIdle) this.suspectLeft = true;
    if (!this.ctx.isListening()) {
      await runner.handBack(result.tasks.map((task) => ({ ...task, name, succeeded: false, cancelled: false })));
      return result.nextDelayMs;
    }
    for (const task of result.tasks) runner.run(task, name, result.isolation === Isolation.RunAlone);
    return result.nextDelayMs;
  }

  /**
   * The claim script may have run even though its reply was lost: hand back what it leased (sent
   * once the connection is back) so those tasks neither wait for their lease nor lose an attempt.
   */
  private releaseLostClaim(keys: TaskKeys, name: string, token: string): void {
    const release = this.ctx.scripts
      .releaseClaim(keys, name, token)
      .then((count) => {
        if (count > 0) this.ctx.log.warn(`handed back ${count} task(s) of a claim whose reply was lost`);
      })
      .catch((err: unknown) => this.ctx.log.warn(`could not hand back a lost claim (${errorMessage(err)}); its tasks run after their lease`))
      .finally(() => this.lostClaimReleases.delete(release));
    this.lostClaimReleases.add(release);
  }
}
