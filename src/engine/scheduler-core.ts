// What every part of the RedisScheduler shares: the options, the key space, the scripts, the handler
// table, the claim loop and the task runner, wired together once. The operator and recurring
// facades (operator-api.ts, recurring-api.ts) and the lifecycle (scheduler.ts) build on it.
import { BucketLayout } from './bucket-layout';
import { CancelNotices } from './cancel-notices';
import { ClaimLoop } from './claim-loop';
import { SecondsLikeDueTimeHint } from './due-time-hint';
import { KeySpace } from './keys';
import { LegacyMigration } from './legacy-migration';
import { CONSOLE_LOGGER, type SchedulerLogger } from './logger';
import { SchedulerMetrics } from './metrics';
import { NameRegistry } from './name-registry';
import { OperatorScripts, type OperatorContext } from './operator-scripts';
import { resolveOptions, type SchedulerOptions } from './options';
import { Recurrence } from './recurrence';
import { createRedisPort } from './redis/detect-client';
import type { RedisPort } from './redis/redis-port';
import { CONNECTED, isRedisConnected, waitForRedis } from './redis-wait';
import { Scripts } from './scripts';
import { TaskAdder } from './task-adder';
import { TaskRunner } from './task-runner';
import { WakeSubscriptions } from './wake-subscriptions';
import type { HandlerStats, TaskHandler } from '../interfaces/redis_scheduler/beta/types';

/** The parts of a scheduler and their wiring; see RedisScheduler for the public API. */
export abstract class SchedulerCore {
  protected readonly options: SchedulerOptions;
  protected readonly keys: KeySpace;
  protected readonly scripts: Scripts;
  protected readonly handlers = new Map<string, TaskHandler>();
  protected readonly runner: TaskRunner;
  protected readonly loop: ClaimLoop;
  protected readonly notices: CancelNotices;
  protected readonly redis: RedisPort;
  protected readonly names: NameRegistry;
  protected readonly wake: WakeSubscriptions;
  protected readonly legacy: LegacyMigration;
  protected readonly recurrence: Recurrence;
  protected readonly layout: BucketLayout;
  protected readonly adder: TaskAdder;
  /** Whether the node claims (between the start and the end of the shutdown). */
  protected listening = false;
  /** What the operator functions (issue 12) work with: inspection, dead set, pause. */
  protected readonly ops: OperatorContext;
  protected readonly metrics: SchedulerMetrics;

  /** See the RedisScheduler constructor. */
  constructor(
    protected readonly client: unknown,
    options: Partial<SchedulerOptions> = {},
    protected readonly log: SchedulerLogger = CONSOLE_LOGGER,
  ) {
    this.options = resolveOptions(options);
    this.keys = new KeySpace(this.options.keyPrefix);
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
    const notices = (this.notices = new CancelNotices(this.scripts, this.options.leaseMs, () => this.runner.renewNow()));
    this.loop = new ClaimLoop({ scripts: this.scripts, keys: this.keys, layout, options: this.options, handlers: this.handlers, runner: this.runner, notices, log, isListening, advancer });
    this.wake = new WakeSubscriptions(
      this.redis,
      this.keys,
      () => this.layout.ready(),
      (message, name, bucket) => this.loop.onWakeMessage(message, name, bucket),
      (message) => this.log.warn(message),
    );
    this.adder = new TaskAdder({
      keys: this.keys,
      scripts: this.scripts,
      names: this.names,
      options: this.options,
      handlers: this.handlers,
      metrics: this.metrics,
      secondsHint: new SecondsLikeDueTimeHint(log),
      ready: (call) => this.ready(call),
      wakeBucket: (name, bucket, delayMs) => this.loop.wakeBucket(name, bucket, delayMs),
    });
  }

  /** The options in force, defaults included. */
  get settings(): Readonly<SchedulerOptions> {
    return this.options;
  }

  /** Whether the node is listening: from start() until stop() begins its shutdown. */
  get isListening(): boolean {
    return this.listening;
  }

  /** Figures per handler name; implemented in operator-api.ts (the metrics read them). */
  abstract getStats(): Promise<HandlerStats[]>;

  /**
   * Waits for Redis (up to redisWaitMs) before the first command of `call`, then for the bucket count (once).
   * Connected with the count known (the rule once running), it returns a settled promise: no async step.
   */
  protected ready(call: string): Promise<void> {
    if (this.keys.hasBuckets && isRedisConnected(this.client)) return CONNECTED;
    return this.readySlowly(call);
  }

  private async readySlowly(call: string): Promise<void> {
    await waitForRedis(this.client, this.options.redisWaitMs, call);
    await this.layout.ready();
  }
}
