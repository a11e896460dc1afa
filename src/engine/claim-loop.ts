import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { BucketCountError, type BucketLayout } from './bucket-layout';
import type { CancelNotices } from './cancel-notices';
import { ClaimUnits, type ClaimUnit } from './claim-units';
import { retentionPerBucket } from './held-task';
import type { KeySpace } from './keys';
import type { SchedulerLogger } from './logger';
import type { SchedulerOptions } from './options';
import { Isolation, type ClaimSettings, type Scripts } from './scripts';
import { SingleFlight } from './single-flight';
import { errorMessage } from './errors';
import type { TaskRunner } from './task-runner';
import type { TaskHandler } from '../interfaces/redis_scheduler/beta/types';

/** Schedules the next ticks of the recurring tasks whose tick ended (recurrence.ts). */
export interface TickAdvancer {
  /** Every bucket of these names (the safety poll picks up an advance that was missed). */
  advanceAll(names: Iterable<string>): void;
}

const EXPIRED_LEASE_ERROR = 'lease expired: the node running the task stopped or stalled';
const MAX_TIMER_MS = 2 ** 31 - 1;
const ERROR_RETRY_MS = 1_000;
/** Claims in flight at once in one pass (units on different masters run in parallel). */
const PARALLEL_CLAIMS = 8;

/** What the claim loop needs from the node around it. */
export interface ClaimLoopContext {
  scripts: Scripts;
  keys: KeySpace;
  /** The bucket count: known (and checked against Redis) before the first claim. */
  layout: BucketLayout;
  options: SchedulerOptions;
  handlers: ReadonlyMap<string, TaskHandler>;
  runner: TaskRunner;
  /** Whether a removal notice may have been lost while a claim was in flight. */
  notices: CancelNotices;
  log: SchedulerLogger;
  isListening(): boolean;
  /** Asked at each safety poll, so an ended tick whose advance was missed (crash, Redis error) is picked up. */
  advancer: TickAdvancer;
}

/**
 * Claims due tasks of the handled names and hands them to the runner. Each (name, bucket) is a unit
 * with its next due time, learnt from claim replies and wake-up messages; a pass claims only the
 * units that are due, from a rotating start, until free concurrency runs out. The jittered safety
 * poll visits every unit. Woken by a timer to the next due unit, by pub/sub messages, by the safety
 * poll, by a reconnect and by a free slot.
 */
export class ClaimLoop {
  private readonly poller = new SingleFlight(() => this.poll());
  private readonly nodeId = randomBytes(6).toString('base64url');
  private readonly units: ClaimUnits;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAtMs = Infinity;
  /** When the next pass visits every unit (performance.now() ms). */
  private fullPassAtMs = -Infinity;
  /** More was due than this node could take: claim again when a slot frees. */
  private backlog = false;
  /** A due suspect was left for an idle node: claim again when this node is idle. */
  private suspectLeft = false;
  /** Hand-backs of claims whose reply was lost, in flight. */
  private readonly lostClaimReleases = new Set<Promise<void>>();
  private claimSeq = 0;

  constructor(private readonly ctx: ClaimLoopContext) {
    this.units = new ClaimUnits(ctx.keys);
  }

  /** Claims at once (coalesced with other requests). */
  request(): void {
    this.poller.request();
  }

  /** Visits every unit at the next pass, now (a reconnect: wake-ups may have been lost). */
  requestFull(): void {
    this.fullPassAtMs = -Infinity;
    this.poller.request();
  }

  /** A handler ended: claim again if work waits for a slot, or a suspect for an idle node. */
  onSlotFree(): void {
    if (this.backlog || (this.suspectLeft && this.ctx.runner.unoccupied)) this.poller.request();
  }

  /** A task of bucket `bucket` of `name` is due within `delayMs` (an add, a retry, a hand-back, a tick). */
  wakeBucket(name: string, bucket: number, delayMs: number): void {
    if (!this.ctx.isListening() || !Number.isFinite(delayMs)) return;
    if (this.units.dueWithin(name, bucket, delayMs)) this.wakeWithin(delayMs);
  }

  /** "<delayMs> <name>" on a bucket's channel: a task became due (add, retry, hand-back); "! <claim>": a running task was removed. */
  onWakeMessage(message: string, name: string, bucket: number): void {
    const space = message.indexOf(' ');
    const head = message.slice(0, space);
    const rest = message.slice(space + 1);
    if (head === '!') {
      if (rest.startsWith(`${this.nodeId}:`)) this.ctx.runner.cancelByClaim(rest);
      return;
    }
    if (this.ctx.handlers.has(name)) this.wakeBucket(name, bucket, Number(head));
  }

  /** Stops the timer and waits for the claim in flight and the lost-claim hand-backs. */
  async stop(bounded: (step: Promise<unknown>) => Promise<boolean>): Promise<void> {
    this.clearWakeTimer();
    await bounded(this.poller.settled());
    this.clearWakeTimer();
    this.fullPassAtMs = -Infinity;
  }

  /** Lost-claim hand-backs still in flight. */
  releasesInFlight(): Promise<unknown> {
    return Promise.all(this.lostClaimReleases);
  }

  /** Arms the wake-up timer unless it already fires sooner. Only relative times: no local clock is trusted. */
  private wakeWithin(delayMs: number): void {
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

  private clearWakeTimer(): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAtMs = Infinity;
  }

  /** One pass: claim what is due (every unit at a safety poll), start it, and arm the next wake-up. */
  private async poll(): Promise<void> {
    if (!this.ctx.isListening()) return;
    const { options, runner } = this.ctx;
    this.clearWakeTimer();
    const full = performance.now() >= this.fullPassAtMs;
    // Between safety polls a known bucket count needs no check (no async step).
    if ((full || !this.ctx.keys.hasBuckets) && !(await this.layoutChecked(full))) return;
    this.units.sync(this.ctx.handlers);
    if (full) {
      this.units.markAllDue();
      this.fullPassAtMs = performance.now() + options.safetyPollMs * (0.8 + 0.4 * Math.random());
      this.ctx.advancer.advanceAll(this.ctx.handlers.keys());
    }
    // An idle node (no handler running, no acknowledgement pending: runner.unoccupied) takes the suspects
    // left for an idle node (their units' replies did not count them as due).
    if (runner.unoccupied) this.units.markSuspectsDue();
    const due = this.units.dueInTurn();
    // An idle node first takes, alone, a suspect that a claim left for an idle node.
    const suspectFirst = runner.unoccupied ? due.findIndex((unit) => unit.suspectLeft) : -1;
    if (suspectFirst > 0) due.unshift(...due.splice(suspectFirst, 1));
    const { blocked, failure } = await this.claimInWaves(due, suspectFirst >= 0);
    if (failure !== undefined) this.ctx.log.error(`claim failed; trying again within ${ERROR_RETRY_MS} ms: ${errorMessage(failure)}`);
    this.suspectLeft = this.units.all.some((unit) => unit.suspectLeft);
    const dueNow = this.units.nextDueDelayMs() <= 0;
    this.backlog = blocked || dueNow;
    // More is due and there is room (or a suspect waits for this idle node): go on at once.
    // Otherwise a handler's end triggers the next poll.
    const room = runner.running < options.concurrency && !runner.isolatedTask;
    if ((this.backlog && room) || (this.suspectLeft && runner.unoccupied)) this.poller.request();
    this.wakeWithin(Math.max(0, Math.min(this.units.nextFutureDelayMs(), this.fullPassAtMs - performance.now())));
  }

  /**
   * Claims the due units in their turn until free concurrency runs out. A backlogged unit (its last
   * claim was cut short by its limit) gets a claim of its own with every free slot (up to a batch;
   * several backlogged units claim in parallel only when each gets a full batch), so spreading a
   * busy name over buckets does not split its claims into small ones. Other due units (woken by a
   * message or a safety poll: usually a few tasks or none) go in parallel waves of up to
   * {@link PARALLEL_CLAIMS} that share the free slots, so a safety poll over many idle units is quick.
   * `aloneFirst`: the first unit holds a suspect left for this idle node, claimed alone.
   */
  private async claimInWaves(due: readonly ClaimUnit[], aloneFirst: boolean): Promise<{ blocked: boolean; failure: unknown }> {
    const { options, runner } = this.ctx;
    let failure: unknown;
    for (let next = 0; next < due.length; ) {
      const free = options.concurrency - runner.running;
      if (free <= 0 || runner.isolatedTask) return { blocked: true, failure };
      const batch = options.claimBatchSize;
      const backlogged = due[next].backlogged;
      // Backlogged units share a wave only when each still gets a full batch (free >= 2 batches).
      const most = next === 0 && aloneFirst ? 1 : backlogged ? Math.floor(free / batch) : free;
      const width = waveWidth(due, next, most, backlogged);
      let errors: unknown[];
      // A lone claim may take a suspect only when the node is idle; otherwise it says it is busy.
      if (width === 1) errors = [await this.claimUnit(due[next], Math.min(free, batch), runner.unoccupied ? 0 : runner.running + 1)];
      else {
        // Claims in parallel never take a suspect (it must run alone): they say they are busy.
        const wave = due.slice(next, next + width);
        errors = await Promise.all(wave.map((unit, i) => this.claimUnit(unit, shareOf(free, width, i, batch), runner.running + 1)));
      }
      next += width;
      failure ??= errors.find((err) => err !== undefined);
    }
    return { blocked: false, failure };
  }

  /**
   * Whether to claim: the bucket count is known and, at a safety poll, still the recorded one. A
   * mismatch stops claiming (logged at each safety poll); a Redis error does not when the count is
   * known (the claims then fail and say so).
   */
  private async layoutChecked(full: boolean): Promise<boolean> {
    try {
      await (full ? this.ctx.layout.recheck() : this.ctx.layout.ready());
      return true;
    } catch (err) {
      if (err instanceof BucketCountError) {
        this.ctx.log.error(`not claiming: ${errorMessage(err)}`);
        this.wakeWithin(this.ctx.options.safetyPollMs);
        return false;
      }
      if (this.ctx.keys.hasBuckets) return true;
      this.ctx.log.error(`claim failed; trying again within ${ERROR_RETRY_MS} ms: could not read the bucket count: ${errorMessage(err)}`);
      this.wakeWithin(ERROR_RETRY_MS);
      return false;
    }
  }

  /** Claims up to `limit` tasks of one unit and starts them; learns its next due time. Resolves to the error, if any. */
  private async claimUnit(unit: ClaimUnit, limit: number, runningHere: number): Promise<unknown> {
    const { scripts, runner, options } = this.ctx;
    const token = `${this.nodeId}:${++this.claimSeq}`;
    const settings: ClaimSettings = {
      leaseMs: options.leaseMs,
      maxAttempts: options.maxRetries + 1,
      expiredError: EXPIRED_LEASE_ERROR,
      deadRetention: retentionPerBucket(options.deadRetention, this.ctx.keys.buckets),
    };
    // Wake-ups that arrive while the claim is in flight lower this again (the reply may predate them).
    unit.dueAtMs = Infinity;
    const mark = this.ctx.notices.mark();
    let result;
    try {
      result = await scripts.claim(unit.keys, limit, token, runningHere, settings);
    } catch (err) {
      unit.dueAtMs = Math.min(unit.dueAtMs, performance.now() + ERROR_RETRY_MS);
      unit.backlogged = false;
      this.releaseLostClaim(unit, token);
      return err;
    }
    unit.suspectLeft = result.isolation === Isolation.LeftForIdle;
    unit.backlogged = result.nextDelayMs === 0 && result.tasks.length >= limit;
    if (result.nextDelayMs >= 0) unit.dueAtMs = Math.min(unit.dueAtMs, performance.now() + result.nextDelayMs);
    // removed meanwhile, and its notice possibly lost: the run only frees its lease (see task-runner.ts)
    for (const token of await this.ctx.notices.removedSince(mark, unit.keys, result.tasks)) runner.cancelByClaim(token);
    if (!this.ctx.isListening()) {
      await runner.handBack(result.tasks.map((task) => ({ ...task, name: unit.name, bucket: unit.bucket, succeeded: false, cancelled: false })));
      return undefined;
    }
    for (const task of result.tasks) runner.run(task, unit.name, unit.bucket, result.isolation === Isolation.RunAlone);
    return undefined;
  }

  /**
   * The claim script may have run even though its reply was lost: hand back what it leased (sent
   * once the connection is back) so those tasks neither wait for their lease nor lose an attempt.
   */
  private releaseLostClaim(unit: ClaimUnit, token: string): void {
    const release = this.ctx.scripts
      .releaseClaim(unit.keys, unit.name, token)
      .then((count) => {
        if (count > 0) this.ctx.log.warn(`handed back ${count} task(s) of a claim whose reply was lost`);
      })
      .catch((err: unknown) => this.ctx.log.warn(`could not hand back a lost claim (${errorMessage(err)}); its tasks run after their lease`))
      .finally(() => this.lostClaimReleases.delete(release));
    this.lostClaimReleases.add(release);
  }
}

/**
 * How many of the due units from `next` on go in one wave: consecutive units that are all
 * backlogged or all not, at most {@link PARALLEL_CLAIMS} and `most`, at least one.
 */
function waveWidth(due: readonly ClaimUnit[], next: number, most: number, backlogged: boolean): number {
  const limit = Math.min(PARALLEL_CLAIMS, most, due.length - next);
  let width = 1;
  while (width < limit && due[next + width].backlogged === backlogged) width++;
  return width;
}

/** The `i`-th of `width` parallel claims' share of `free` slots, at most `batch`, at least 1. */
function shareOf(free: number, width: number, i: number, batch: number): number {
  return Math.max(1, Math.min(batch, Math.floor(free / width) + (i < free % width ? 1 : 0)));
}
