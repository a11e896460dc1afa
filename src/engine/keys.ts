import { CLUSTER_SLOTS, fnv1a32, slotOfTag } from './bucket-hash';

/** Most buckets a key prefix may have (see docs/buckets.md). */
export const MAX_BUCKETS = 256;

/** The Redis keys that hold the tasks of one bucket of one handler name (all under one hash tag). */
export interface TaskKeys {
  /** The bucket these keys belong to (0 to buckets - 1; always 0 with one bucket). */
  bucket: number;
  /** Pub/sub channel (not a key) that wakes listeners of this bucket: in its slot, for SPUBLISH. */
  wake: string;
  /** ZSET taskInfo -> due time (Unix ms): scheduled tasks and tasks waiting for a retry. */
  due: string;
  /** ZSET taskInfo -> lease expiry (Unix ms, Redis time): tasks running somewhere. */
  lease: string;
  /** HASH taskInfo -> token of the claim that holds the lease. */
  claims: string;
  /** HASH taskInfo -> attempts already used (only for tasks that failed or lost a lease). */
  attempts: string;
  /** ZSET taskInfo -> time the task was given up (Unix ms). */
  dead: string;
  /** HASH taskInfo -> JSON `{ error, attempts, diedAtMs }` of a dead task. */
  deadInfo: string;
  /** SET of tasks whose last lease expired: they run alone until they next end (see claim.lua). */
  suspects: string;
  /** STRING present while the name is paused (see pause.lua): the pause time (Unix ms, Redis time). */
  paused: string;
  /** HASH taskInfo -> JSON ScheduleRecord of a recurring task (see recurrence.ts). */
  recurring: string;
  /** HASH taskInfo -> "<startMs>" while a recurring tick runs or retries, "<startMs>|<outcome>" once it ended. */
  ticks: string;
  /** SET of recurring tasks whose tick ended and whose next tick is still to be scheduled. */
  advance: string;
  /** STRING counter of the recurring ticks that were coalesced into a later run (missed or overlapping). */
  coalesced: string;
}

/** The kinds of key of one bucket, in TaskKeys order; the key of kind `k` ends with `:<k>`. */
export const TASK_KEY_KINDS: ReadonlyArray<[Exclude<keyof TaskKeys, 'bucket' | 'wake'>, string]> = [
  ['due', 'due'],
  ['lease', 'lease'],
  ['claims', 'claims'],
  ['attempts', 'attempts'],
  ['dead', 'dead'],
  ['deadInfo', 'dead-info'],
  ['suspects', 'suspects'],
  ['paused', 'paused'],
  ['recurring', 'recurring'],
  ['ticks', 'ticks'],
  ['advance', 'advance'],
  ['coalesced', 'coalesced'],
];

/** The key names of one bucket (without its wake channel), in TaskKeys order. */
export function keyNamesOf(keys: TaskKeys): string[] {
  return TASK_KEY_KINDS.map(([field]) => keys[field]);
}

/**
 * A handler name as it goes inside a hash tag: `%`, `{` and `}` percent-encoded (`%25`, `%7B`,
 * `%7D`), so the tag is always the whole name and two names never share a key.
 */
export function escapeTag(name: string): string {
  return name.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Most names whose bucket tags are kept computed (cleared past it). */
const MAX_CACHED_NAMES = 10_000;
/** Up to this many buckets, a bucket's tag is chosen in the middle half of its share of the slots. */
const NARROW_WINDOW_MAX_BUCKETS = 64;

/**
 * The one place that builds key names. With one bucket, each handler name has its own hash tag:
 * `<prefix>:{<name>}:<kind>` (name escaped by {@link escapeTag}), so the keys of one name share a
 * Redis Cluster slot and every script touches one slot, while names spread over the masters.
 * With B > 1 buckets, bucket b of a name is `<prefix>:{<name>%#<b>.<B>.<k>}:<kind>`, where k is the
 * first counter from 0 whose tag's slot lies in the b-th B-th of the slot space (its middle half up to
 * 64 buckets), so one name's buckets spread evenly over the masters of a cluster (docs/buckets.md).
 * An escaped name never holds `%#`, so two (name, bucket) pairs never share a tag. A task's bucket is
 * FNV-1a of its taskInfo mod B. The prefix has no braces, so the first `{` ends it. The registry of
 * names is `{<prefix>}:names`, the recorded bucket count `{<prefix>}:buckets`.
 * A task's identity is (handler name, taskInfo): the name and the bucket of taskInfo pick the keys,
 * taskInfo is the member.
 */
export class KeySpace {
  private bucketCount?: number;
  private readonly tags = new Map<string, string[]>();
  /** Per name's tag list (so dropped with it): the keys of each bucket built so far (the add and claim paths ask per call). */
  private readonly bucketKeys = new WeakMap<string[], TaskKeys[]>();

  /** `buckets`: the bucket count, if known now (else set by {@link useBuckets} once read from Redis). */
  constructor(
    readonly prefix: string,
    buckets?: number,
  ) {
    if (buckets !== undefined) this.useBuckets(buckets);
  }

  /** SET of every handler name that has had a task (for stats), written apart from the scripts. */
  get names(): string {
    return `{${this.prefix}}:names`;
  }

  /** STRING: the bucket count of this prefix, recorded at first use (see bucket-layout.ts). */
  get bucketsKey(): string {
    return `{${this.prefix}}:buckets`;
  }

  /** The bucket count in force; throws until it is known. */
  get buckets(): number {
    if (this.bucketCount === undefined) throw new Error('redis_scheduler: the bucket count is not known yet (internal error)');
    return this.bucketCount;
  }

  /** Whether the bucket count is known. */
  get hasBuckets(): boolean {
    return this.bucketCount !== undefined;
  }

  /** Sets the bucket count (from the option or from Redis). */
  useBuckets(buckets: number): void {
    if (!Number.isSafeInteger(buckets) || buckets < 1 || buckets > MAX_BUCKETS) {
      throw new RangeError(`redis_scheduler: bucket count must be an integer from 1 to ${MAX_BUCKETS}, received ${String(buckets)}`);
    }
    if (buckets !== this.bucketCount) this.tags.clear();
    this.bucketCount = buckets;
  }

  /** The bucket of a task: FNV-1a of its taskInfo (UTF-8) mod the bucket count. */
  bucketOf(taskInfo: string): number {
    const buckets = this.buckets;
    return buckets === 1 ? 0 : fnv1a32(taskInfo) % buckets;
  }

  /** The keys of the bucket that holds the task (name, taskInfo). */
  forTask(name: string, taskInfo: string): TaskKeys {
    return this.forBucket(name, this.bucketOf(taskInfo));
  }

  /** The keys of one bucket of a handler name (built once per name and bucket, then shared: read-only). */
  forBucket(name: string, bucket: number): TaskKeys {
    const tags = this.tagsOf(name);
    let built = this.bucketKeys.get(tags);
    if (!built) this.bucketKeys.set(tags, (built = []));
    return (built[bucket] ??= Object.freeze(keysOfTag(`${this.prefix}:{${tags[bucket]}}`, bucket)));
  }

  /** The keys of every bucket of a handler name, bucket 0 first. */
  allBuckets(name: string): TaskKeys[] {
    return this.tagsOf(name).map((tag, bucket) => keysOfTag(`${this.prefix}:{${tag}}`, bucket));
  }

  /** The keys of a handler name in the one-bucket layout (`<prefix>:{<name>}:<kind>`), whatever the bucket count. */
  forHandler(name: string): TaskKeys {
    return keysOfTag(`${this.prefix}:{${escapeTag(name)}}`, 0);
  }

  /** The keys of a handler name's buckets in a layout of `buckets` buckets (for re-bucketing). */
  layoutOf(name: string, buckets: number): TaskKeys[] {
    return bucketTags(escapeTag(name), buckets).map((tag, bucket) => keysOfTag(`${this.prefix}:{${tag}}`, bucket));
  }

  /** Pub/sub channel of `name` in the one-bucket layout (see {@link forHandler}). */
  wakeChannel(name: string): string {
    return this.forHandler(name).wake;
  }

  private tagsOf(name: string): string[] {
    let tags = this.tags.get(name);
    if (!tags) {
      if (this.tags.size >= MAX_CACHED_NAMES) this.tags.clear();
      tags = bucketTags(escapeTag(name), this.buckets);
      this.tags.set(name, tags);
    }
    return tags;
  }
}

/** The keys (and wake channel) under one tagged base `<prefix>:{<tag>}`. */
function keysOfTag(base: string, bucket: number): TaskKeys {
  const keys = Object.fromEntries(TASK_KEY_KINDS.map(([field, kind]) => [field, `${base}:${kind}`])) as unknown as TaskKeys;
  keys.bucket = bucket;
  keys.wake = `${base}:wake`;
  return keys;
}

/**
 * The hash tags of the buckets of an escaped name: the name itself with one bucket; else, for
 * bucket b, `<name>%#<b>.<B>.<k>` with the first k whose slot falls in bucket b's window.
 */
export function bucketTags(escapedName: string, buckets: number): string[] {
  if (buckets === 1) return [escapedName];
  const share = CLUSTER_SLOTS / buckets;
  const margin = buckets <= NARROW_WINDOW_MAX_BUCKETS ? share / 4 : 0;
  return Array.from({ length: buckets }, (_, b) => {
    const low = b * share + margin;
    const high = (b + 1) * share - margin;
    for (let k = 0; k < 1_000_000; k++) {
      const tag = `${escapedName}%#${b}.${buckets}.${k}`;
      const slot = slotOfTag(tag);
      if (slot >= low && slot < high) return tag;
    }
    return `${escapedName}%#${b}.${buckets}.0`;
  });
}

/**
 * The keys of one name in the layout before per-name tags (`{<prefix>}:<kind>:<name>`, one slot for
 * every name): only read by the key-layout upgrade.
 */
export function singleTagKeys(prefix: string, name: string): TaskKeys {
  const keys = Object.fromEntries(TASK_KEY_KINDS.map(([field, kind]) => [field, `{${prefix}}:${kind}:${name}`])) as unknown as TaskKeys;
  keys.bucket = 0;
  keys.wake = `{${prefix}}:wake:${name}`;
  return keys;
}

/** Where a migration keeps the published scheduler's tasks it has taken but not yet finished moving. */
export interface LegacyStagingKeys {
  /** HASH member -> "<token>|<score>": taken by the migration holding that token, with its due time. */
  moving: string;
  /** ZSET member -> when that migration's lease ends (Unix ms, Redis time); then the member goes back. */
  movingUntil: string;
}

/**
 * Staging keys beside the published scheduler's sorted set, in its Redis Cluster slot: the legacy
 * key has no hash tag, so its slot is the hash of its whole name, which `{<name>}` reproduces
 * (a name that has a tag already keeps it).
 */
export function legacyStagingKeys(legacyKey: string): LegacyStagingKeys {
  const open = legacyKey.indexOf('{');
  const hasTag = open >= 0 && legacyKey.indexOf('}', open) > open + 1;
  const base = hasTag ? legacyKey : `{${legacyKey}}`;
  return { moving: `${base}:migrating`, movingUntil: `${base}:migrating-until` };
}
