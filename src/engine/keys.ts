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
  /** HASH taskInfo -> JSON ScheduleRecord of a recurring task (see recurrence.ts). */
  recurring: string;
  /** HASH taskInfo -> "<startMs>" while a recurring tick runs or retries, "<startMs>|<outcome>" once it ended. */
  ticks: string;
  /** SET of recurring tasks whose tick ended and whose next tick is still to be scheduled. */
  advance: string;
  /** STRING counter of the recurring ticks that were coalesced into a later run (missed or overlapping). */
  coalesced: string;
}

/**
 * The one place that builds key names. Every key shares the hash tag `{prefix}`, so all of them
 * live in one Redis Cluster slot and every script can touch them atomically.
 * A task's identity is (handler name, taskInfo): the name picks the keys, taskInfo is the member.
 */
export class KeySpace {
  private readonly tag: string;

  constructor(prefix: string) {
    this.tag = `{${prefix}}`;
  }

  /** SET of every handler name that has had a task (for stats). */
  get names(): string {
    return `${this.tag}:names`;
  }

  /** Pub/sub channel that wakes listeners when an add makes a task the earliest of its name. */
  get wakeChannel(): string {
    return `${this.tag}:wake`;
  }

  /** The keys of one handler name. */
  forHandler(name: string): TaskKeys {
    return {
      due: `${this.tag}:due:${name}`,
      lease: `${this.tag}:lease:${name}`,
      claims: `${this.tag}:claims:${name}`,
      attempts: `${this.tag}:attempts:${name}`,
      dead: `${this.tag}:dead:${name}`,
      deadInfo: `${this.tag}:dead-info:${name}`,
      suspects: `${this.tag}:suspects:${name}`,
      recurring: `${this.tag}:recurring:${name}`,
      ticks: `${this.tag}:ticks:${name}`,
      advance: `${this.tag}:advance:${name}`,
      coalesced: `${this.tag}:coalesced:${name}`,
    };
  }
}
