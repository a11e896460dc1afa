import { withArticle } from './errors';
/** How the delay between retries grows. */
export type RetryBackoff = 'fixed' | 'exponential';

/** How long dead tasks are kept, per handler name (trimmed as tasks die, oldest first). */
export interface DeadRetention {
  /** Most dead tasks kept per name. Default `10000` (Sidekiq's). */
  maxTasks: number;
  /** Dead tasks older than this are dropped. Default `15552000000` (180 days, Sidekiq's 6 months). */
  maxAgeMs: number;
}

/** Scheduler settings: the module's `antelope.json` config and the engine's options are the same. */
export interface SchedulerOptions {
  /**
   * Key prefix: the keys of a handler name are `keyPrefix:{name}:...` (one hash tag per name, see
   * docs/cluster.md). No braces, and no glob characters (`* ? [ ] \`), so ACL key patterns built on it
   * (see acl-rule.ts) match these keys only. Default `"ajs:scheduler"`.
   */
  keyPrefix: string;
  /**
   * Buckets of each handler name: its tasks are split over this many hash tags (a task's bucket is
   * FNV-1a of its taskInfo), so one busy name spreads over every master of a Redis Cluster. An integer
   * from 1 to 256, or `"auto"`: the count recorded for the prefix, or at first use 1 on a standalone
   * server and 12 on a cluster. The count is recorded in Redis; a node configured with another one
   * refuses to start (change it with the offline re-bucketing, docs/buckets.md). Default `"auto"`.
   */
  buckets: number | 'auto';
  /** Handlers running at once on this node. Default `16`. */
  concurrency: number;
  /** Lease on a claimed task, renewed every third of it while the handler runs; a crashed node's tasks run elsewhere after it. Default `30000`. */
  leaseMs: number;
  /** Retries after a failed run (so 1 + maxRetries attempts) before the task goes to the dead set. Default `3`. */
  maxRetries: number;
  /** Delay before the first retry. Default `5000`. */
  retryDelayMs: number;
  /** `"fixed"`: every retry waits retryDelayMs; `"exponential"`: retryDelayMs × 2^(retry − 1), capped by maxRetryDelayMs. Default `"fixed"`. */
  retryBackoff: RetryBackoff;
  /** Random spread of each retry delay, as a fraction (0.2: ±20 %). Default `0`. */
  retryJitter: number;
  /** Upper bound of a retry delay. Default `3600000` (1 h). */
  maxRetryDelayMs: number;
  /** Longest wait between two claims even with no wake-up: a lost pub/sub message only delays this much (±20 % jitter). Default `5000`. */
  safetyPollMs: number;
  /** How long disableListener waits for running handlers before handing their tasks back. Default `10000`. */
  shutdownTimeoutMs: number;
  /** Largest taskInfo, in UTF-8 bytes. Default `1048576` (1 MiB). */
  maxTaskInfoBytes: number;
  /** Let addTask name a handler not registered on this node (producer-only nodes). Default `false`: it throws. */
  allowUnknownHandlers: boolean;
  /** Most tasks one claim script takes (bounded by free concurrency). Default `64`. */
  claimBatchSize: number;
  /**
   * How long a call (addTask, addTasks, removeTask, getStats, getDeadTasks) waits for Redis while it is
   * unreachable before rejecting with an error naming the target, having written nothing. Once sent, a
   * command gets the client's command timeout, and a script 10 s, for its reply. Default `10000`.
   */
  redisWaitMs: number;
  /** Dead-set retention of each name; either field may be given alone. Default `{ maxTasks: 10000, maxAgeMs: 180 days }`. */
  deadRetention: DeadRetention;
  /** Count runs, outcomes, lag and durations for getMetrics(). Default `true`. */
  metrics: boolean;
  /** Add prom-client's default process metrics (CPU, memory, event loop) to getMetrics(). Default `false`. */
  processMetrics: boolean;
  /**
   * Upgrade from the published AntelopeJS scheduler: while listening, move the tasks of its sorted set
   * (`legacyKey`) into this module's keys, at start, on each of its `update` messages and every
   * safetyPollMs (see docs/upgrading.md). Default `false`.
   */
  migrateLegacyTasks: boolean;
  /** The published scheduler's sorted set (set it if its ioredis client had a `keyPrefix`). Default `"SchedulerUtil.Tasks"`. */
  legacyKey: string;
  /** The channel on which the published scheduler announces its adds (`update`). Default `"SchedulerUtil"`. */
  legacyChannel: string;
}

/** Defaults of every option. */
export const DEFAULT_OPTIONS: Readonly<SchedulerOptions> = Object.freeze({
  keyPrefix: 'ajs:scheduler',
  buckets: 'auto',
  concurrency: 16,
  leaseMs: 30_000,
  maxRetries: 3,
  retryDelayMs: 5_000,
  retryBackoff: 'fixed',
  retryJitter: 0,
  maxRetryDelayMs: 3_600_000,
  safetyPollMs: 5_000,
  shutdownTimeoutMs: 10_000,
  maxTaskInfoBytes: 1024 * 1024,
  allowUnknownHandlers: false,
  claimBatchSize: 64,
  redisWaitMs: 10_000,
  deadRetention: Object.freeze({ maxTasks: 10_000, maxAgeMs: 180 * 24 * 3_600_000 }),
  metrics: true,
  processMetrics: false,
  migrateLegacyTasks: false,
  legacyKey: 'SchedulerUtil.Tasks',
  legacyChannel: 'SchedulerUtil',
});

type Check = (value: unknown) => string | undefined;

const integer =
  (min: number, max: number): Check =>
  (value) =>
    Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max
      ? undefined
      : `an integer from ${min} to ${max}`;

const boolean: Check = (value) => (typeof value === 'boolean' ? undefined : 'true or false');

const redisName: Check = (value) =>
  typeof value === 'string' && value.length > 0 && value.length <= 1_000 && value.isWellFormed()
    ? undefined
    : 'a non-empty, well-formed string of at most 1000 characters';

const CHECKS: Record<keyof SchedulerOptions, Check> = {
  keyPrefix: (value) =>
    // Braces would break the hash tag; glob characters would widen an ACL key pattern like ~{prefix}*.
    typeof value === 'string' && value.length > 0 && value.length <= 200 && !/[{}*?[\]\\]/.test(value) && value.isWellFormed()
      ? undefined
      : 'a non-empty, well-formed string of at most 200 characters without "{", "}" or the glob characters * ? [ ] \\',
  concurrency: integer(1, 10_000),
  buckets: (value) => (value === 'auto' || integer(1, 256)(value) === undefined ? undefined : '"auto" or an integer from 1 to 256'),
  leaseMs: integer(100, 24 * 3_600_000),
  maxRetries: integer(0, 1_000),
  retryDelayMs: integer(0, 30 * 24 * 3_600_000),
  retryBackoff: (value) => (value === 'fixed' || value === 'exponential' ? undefined : '"fixed" or "exponential"'),
  retryJitter: (value) =>
    typeof value === 'number' && value >= 0 && value <= 1 ? undefined : 'a number from 0 to 1',
  maxRetryDelayMs: integer(0, 30 * 24 * 3_600_000),
  safetyPollMs: integer(10, 24 * 3_600_000),
  shutdownTimeoutMs: integer(0, 24 * 3_600_000),
  maxTaskInfoBytes: integer(1, 512 * 1024 * 1024),
  allowUnknownHandlers: boolean,
  claimBatchSize: integer(1, 1_000),
  redisWaitMs: integer(0, 3_600_000),
  deadRetention: (value) => checkDeadRetention(value),
  metrics: boolean,
  processMetrics: boolean,
  migrateLegacyTasks: boolean,
  legacyKey: redisName,
  legacyChannel: redisName,
};

const DEAD_RETENTION_CHECKS: Record<keyof DeadRetention, Check> = {
  maxTasks: integer(1, 100_000_000),
  maxAgeMs: integer(1_000, 10 * 365 * 24 * 3_600_000),
};

function checkDeadRetention(value: unknown): string | undefined {
  const shape = 'an object { maxTasks, maxAgeMs }';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return shape;
  for (const [field, fieldValue] of Object.entries(value)) {
    if (!Object.hasOwn(DEAD_RETENTION_CHECKS, field)) return `${shape} (unknown field "${field}")`;
    const expected = DEAD_RETENTION_CHECKS[field as keyof DeadRetention](fieldValue);
    if (expected) return `${shape} whose "${field}" is ${expected} (received ${describe(fieldValue)})`;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : withArticle(typeof value);
}

/**
 * Merges `input` over the defaults and checks every field.
 * @throws TypeError naming the field, what it expects and what it received; also for unknown fields.
 */
export function resolveOptions(input: unknown = {}): SchedulerOptions {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TypeError(`redis_scheduler config: expected an object, received ${describe(input)}`);
  }
  const merged: Record<string, unknown> = { ...DEFAULT_OPTIONS };
  for (const [field, value] of Object.entries(input)) {
    if (!Object.hasOwn(CHECKS, field)) {
      throw new TypeError(
        `redis_scheduler config: unknown field "${field}"; expected one of ${Object.keys(CHECKS).join(', ')}`,
      );
    }
    if (value === undefined) continue;
    // deadRetention fields may be given alone: the others keep their defaults.
    merged[field] = field === 'deadRetention' && isPlainObject(value) ? { ...DEFAULT_OPTIONS.deadRetention, ...value } : value;
  }
  for (const [field, check] of Object.entries(CHECKS)) {
    const expected = check(merged[field]);
    if (expected) {
      throw new TypeError(`redis_scheduler config: "${field}" must be ${expected}, received ${describe(merged[field])}`);
    }
  }
  return merged as unknown as SchedulerOptions;
}
