/** The Redis keys that hold the tasks of one handler name. */
export interface TaskKeys {
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

/** The kinds of key of one name, in TaskKeys order; the key of kind `k` ends with `:<k>`. */
export const TASK_KEY_KINDS: ReadonlyArray<[keyof TaskKeys, string]> = [
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

/**
 * A handler name as it goes inside a hash tag: `%`, `{` and `}` percent-encoded (`%25`, `%7B`,
 * `%7D`), so the tag is always the whole name and two names never share a key.
 */
export function escapeTag(name: string): string {
  return name.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The one place that builds key names. Each handler name has its own hash tag:
 * `<prefix>:{<name>}:<kind>` (name escaped by {@link escapeTag}), so the keys of one name share a
 * Redis Cluster slot and every script touches one slot, while names spread over the masters.
 * The prefix has no braces, so the first `{` ends it. The registry of names is `{<prefix>}:names`.
 * A task's identity is (handler name, taskInfo): the name picks the keys, taskInfo is the member.
 */
export class KeySpace {
  constructor(private readonly prefix: string) {}

  /** SET of every handler name that has had a task (for stats), written apart from the scripts. */
  get names(): string {
    return `{${this.prefix}}:names`;
  }

  /** Pub/sub channel (not a key) that wakes listeners of `name`: in the name's slot, for SPUBLISH. */
  wakeChannel(name: string): string {
    return `${this.tagOf(name)}:wake`;
  }

  /** The keys of one handler name. */
  forHandler(name: string): TaskKeys {
    const tag = this.tagOf(name);
    return Object.fromEntries(TASK_KEY_KINDS.map(([field, kind]) => [field, `${tag}:${kind}`])) as unknown as TaskKeys;
  }

  private tagOf(name: string): string {
    return `${this.prefix}:{${escapeTag(name)}}`;
  }
}

/**
 * The keys of one name in the layout before per-name tags (`{<prefix>}:<kind>:<name>`, one slot for
 * every name): only read by the key-layout upgrade.
 */
export function singleTagKeys(prefix: string, name: string): TaskKeys {
  return Object.fromEntries(TASK_KEY_KINDS.map(([field, kind]) => [field, `{${prefix}}:${kind}:${name}`])) as unknown as TaskKeys;
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
