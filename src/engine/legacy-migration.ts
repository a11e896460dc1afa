import { createHash, randomBytes } from 'node:crypto';
import { legacyStagingKeys, type KeySpace, type LegacyStagingKeys } from './keys';
import { isLegacyTask, parseLegacyMember, type LegacyTask, type UnmovableMember } from './legacy-member';
import type { SchedulerOptions } from './options';
import type { SchedulerLogger } from './scheduler';
import type { NameRegistry } from './name-registry';
import { LuaScript } from './redis/script-runner';
import { publishCommandOf, type RedisPort } from './redis/redis-port';
import { errorMessage } from './errors';
import { SingleFlight } from './single-flight';

/** What one migration pass did. */
export interface LegacyMigrationCounts {
  /** Tasks this pass moved into this module's keys. */
  migrated: number;
  /** Members this pass left in the legacy key because they cannot be tasks here (the first 10,000 logged once each, with why). */
  skipped: number;
  /** Members in the legacy key once the pass ended: the skipped ones, and what old nodes added since. */
  remaining: number;
}

/** The options a migration reads. */
type MigrationOptions = Pick<SchedulerOptions, 'legacyKey' | 'legacyChannel' | 'leaseMs' | 'safetyPollMs' | 'maxTaskInfoBytes'>;

/** What the published scheduler publishes on its channel after an add. */
const UPDATE_MESSAGE = 'update';
const SCAN_COUNT = 500;
const ADOPT_CHUNK = 1_000;
/** Unmovable members are logged once each; past this many, no more are remembered (nor logged). */
const MAX_WARNED_MEMBERS = 10_000;
const PREVIEW_CHARS = 120;

/**
 * Moves the published AntelopeJS scheduler's tasks (one sorted set, see legacy-member.ts) into this
 * module's keys. A pass takes members atomically (legacy-take.lua: only this pass holds them, under
 * a lease), adds them to the new layout with the attempts they used (legacy-adopt.lua), then lets
 * them go (legacy-done.lua). A pass that stops mid-way loses nothing: after leaseMs its members go
 * back to the legacy key. Members of any name move, handled here or not: the new layout keeps them
 * until a node has the handler. Started on a listening node, it also follows old nodes' adds: a pass
 * on every `update` on the legacy channel, after every reconnect and every safetyPollMs.
 */
export class LegacyMigration {
  private readonly staging: LegacyStagingKeys;
  private readonly takeScript = new LuaScript('legacy-take.lua');
  private readonly adoptScript = new LuaScript('legacy-adopt.lua');
  private readonly doneScript = new LuaScript('legacy-done.lua');
  private readonly passes = new SingleFlight(() => this.backgroundPass());
  private readonly tokenBase = randomBytes(6).toString('base64url');
  private readonly warned = new Set<string>();
  private passSeq = 0;
  private following = false;
  private subscribed = false;
  private offReconnect?: () => void;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly port: RedisPort,
    private readonly keys: KeySpace,
    private readonly names: NameRegistry,
    private readonly options: MigrationOptions,
    private readonly log: SchedulerLogger,
  ) {
    this.staging = legacyStagingKeys(options.legacyKey);
  }

  /** One pass over the legacy key; rejects on a Redis error (what was moved stays moved). */
  async migrate(): Promise<LegacyMigrationCounts> {
    const token = `${this.tokenBase}:${++this.passSeq}`;
    const skipped = new Set<string>();
    let migrated = 0;
    // Members given back during a scan may sit behind its cursor: scan again until none came back.
    let scan: { migrated: number; givenBack: number };
    do {
      scan = await this.scan(token, skipped);
      migrated += scan.migrated;
    } while (scan.givenBack > 0);
    const remaining = Number(await this.port.send(['ZCARD', this.options.legacyKey], this.options.legacyKey));
    return { migrated, skipped: skipped.size, remaining };
  }

  /** Follows the legacy key: a pass now, on each `update` message, after each reconnect, and every safetyPollMs. */
  async start(): Promise<void> {
    if (this.following) return;
    this.following = true;
    this.armTimer();
    this.passes.request();
    await this.subscribe();
  }

  /** Stops following; resolves once the pass in flight, if any, has ended. */
  async stop(): Promise<void> {
    this.following = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.closeSubscriber();
    await this.passes.settled();
  }

  /** One ZSCAN of the legacy key, moving what each page holds. */
  private async scan(token: string, skipped: Set<string>): Promise<{ migrated: number; givenBack: number }> {
    let migrated = 0;
    let givenBack = 0;
    let cursor = '0';
    let firstPage = true;
    do {
      const reply = (await this.port.send(['ZSCAN', this.options.legacyKey, cursor, 'COUNT', String(SCAN_COUNT)], this.options.legacyKey)) as [string, string[]];
      cursor = String(reply[0]);
      const tasks = this.readPage(reply[1], skipped);
      // The first take of a scan runs even with nothing read: it gives back what stopped passes held.
      if (tasks.length > 0 || firstPage) {
        const taken = await this.take(token, tasks);
        givenBack += taken.givenBack;
        migrated += await this.adopt(token, taken.tasks);
      }
      firstPage = false;
    } while (cursor !== '0');
    return { migrated, givenBack };
  }

  private readPage(flat: string[], skipped: Set<string>): LegacyTask[] {
    const tasks: LegacyTask[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const parsed = parseLegacyMember(String(flat[i]), String(flat[i + 1]), this.options.maxTaskInfoBytes);
      if (isLegacyTask(parsed)) {
        tasks.push(parsed);
      } else {
        const id = memberId(parsed.member);
        skipped.add(id);
        this.warnUnmovable(id, parsed);
      }
    }
    return tasks;
  }

  private async take(token: string, tasks: LegacyTask[]): Promise<{ givenBack: number; tasks: LegacyTask[] }> {
    const reply = await this.takeScript.run<number[]>(
      this.port,
      [this.options.legacyKey, this.staging.moving, this.staging.movingUntil],
      [token, String(this.options.leaseMs), ...tasks.flatMap((task) => [task.member, task.score])],
    );
    const givenBack = Number(reply[0]);
    if (givenBack > 0) this.log.warn(`${givenBack} legacy task(s) held by a migration that stopped mid-way went back to "${this.options.legacyKey}"`);
    return { givenBack, tasks: reply.slice(1).map((position) => tasks[Number(position) - 1]) };
  }

  /** Adds taken tasks to the new layout, one name at a time, and lets each name's members go once added. */
  private async adopt(token: string, tasks: LegacyTask[]): Promise<number> {
    const byName = new Map<string, LegacyTask[]>();
    for (const task of tasks) {
      const list = byName.get(task.name);
      if (list) list.push(task);
      else byName.set(task.name, [task]);
    }
    for (const [name, all] of byName) {
      await this.names.register(name);
      for (const list of byBucketOf(all, (task) => this.keys.bucketOf(task.taskInfo)).values()) await this.adoptBucket(token, name, list);
    }
    return tasks.length;
  }

  /** Adds taken tasks of one bucket of a name, and lets their members go once added. */
  private async adoptBucket(token: string, name: string, list: LegacyTask[]): Promise<void> {
    const keys = this.keys.forTask(name, list[0].taskInfo);
    for (let i = 0; i < list.length; i += ADOPT_CHUNK) {
      const chunk = list.slice(i, i + ADOPT_CHUNK);
      await this.adoptScript.run(
        this.port,
        [keys.due, keys.attempts, keys.suspects, keys.claims, keys.dead, keys.deadInfo],
        [name, keys.wake, publishCommandOf(this.port), ...chunk.flatMap((task) => [String(task.dueTimeMs), task.taskInfo, String(task.attemptsUsed)])],
      );
      await this.doneScript.run(this.port, [this.staging.moving, this.staging.movingUntil], [token, ...chunk.map((task) => task.member)]);
    }
  }

  private warnUnmovable(id: string, { member, reason }: UnmovableMember): void {
    if (this.warned.has(id) || this.warned.size >= MAX_WARNED_MEMBERS) return;
    this.warned.add(id);
    const preview = member.length > PREVIEW_CHARS ? `${member.slice(0, PREVIEW_CHARS)}…` : member;
    this.log.warn(`legacy task ${JSON.stringify(preview)} left in "${this.options.legacyKey}": ${reason}`);
  }

  private readonly requestPass = (): void => this.passes.request();

  private async backgroundPass(): Promise<void> {
    if (!this.following) return;
    try {
      const { migrated } = await this.migrate();
      if (migrated > 0) this.log.info(`moved ${migrated} task(s) from "${this.options.legacyKey}" into this module's keys`);
    } catch (err) {
      this.log.warn(`moving legacy tasks failed; trying again at the next update or poll: ${errorMessage(err)}`);
    }
  }

  private armTimer(): void {
    this.timer = setTimeout(
      () => {
        if (!this.following) return;
        this.passes.request();
        this.armTimer();
      },
      this.options.safetyPollMs * (0.8 + 0.4 * Math.random()),
    );
  }

  /**
   * The published scheduler's channel, on the port's pub/sub connection. It publishes with plain
   * PUBLISH, which a cluster's sharded subscription does not receive: there the poll stands in.
   */
  private async subscribe(): Promise<void> {
    this.offReconnect = this.port.onReconnect(this.requestPass);
    try {
      await this.port.subscribe(this.options.legacyChannel, (message: string) => {
        if (message === UPDATE_MESSAGE) this.passes.request();
      });
      this.subscribed = true;
    } catch (err) {
      this.log.warn(`could not subscribe to "${this.options.legacyChannel}" (${errorMessage(err)}); old nodes' adds move at the next poll`);
    }
  }

  private async closeSubscriber(): Promise<void> {
    this.offReconnect?.();
    this.offReconnect = undefined;
    if (!this.subscribed) return;
    this.subscribed = false;
    await this.port.unsubscribe(this.options.legacyChannel).catch((err: unknown) => this.log.debug('leaving the legacy channel:', errorMessage(err)));
  }
}

/** A short stand-in for a member that may be megabytes long (unmovable ones are remembered). */
function memberId(member: string): string {
  return createHash('sha1').update(member).digest('base64');
}

/** Items grouped by bucket. */
function byBucketOf<T>(items: T[], bucketOf: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const bucket = bucketOf(item);
    const list = groups.get(bucket);
    if (list) list.push(item);
    else groups.set(bucket, [item]);
  }
  return groups;
}
