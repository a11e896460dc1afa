// Recurring tasks. A tick is an ordinary task (name, taskInfo) in the name's due set, so it gets the
// same claim, lease, retry, dead set and lateness as any task. The schedule lives beside it in the
// name's `recurring` hash. The scripts that end a task (complete, fail and claim when they give it
// to the dead set) put an ended tick into the name's `advance` set in the same atomic step; this
// file then computes its next tick and writes it with recurring-advance.lua, conditional on nothing
// having changed. A crash between the two loses nothing: the entry waits for any node.
import type { KeySpace, TaskKeys } from './keys';
import type { NameRegistry } from './name-registry';
import type { RedisPort } from './redis/redis-port';
import { RecurringScripts, type AdvanceEntry } from './recurring-scripts';
import { parseSchedule, type ScheduleGrid } from './schedule-spec';
import { SingleFlight } from './single-flight';
import type { RecurringSchedule, RecurringTask, TickOutcome } from '../interfaces/redis_scheduler/beta/types';

/** What the `recurring` hash holds for one recurring task (as JSON). */
export interface ScheduleRecord {
  spec: RecurringSchedule;
  /** Origin of an `everyMs` grid (Unix ms, Redis time): `startAtMs`, or when the schedule was added. */
  anchorMs: number;
  /** Grid time of the last tick scheduled (the reference for counting coalesced ticks). */
  nextDueMs: number;
  lastRunMs: number | null;
  lastOutcome: TickOutcome | null;
  coalescedTicks: number;
}

/** Where recurrence reports what it does (the engine's logger). */
export interface RecurrenceLogger {
  warn(...args: unknown[]): void;
  info(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}

/** Called when a script scheduled a tick that became the earliest of its bucket, `delayMs` from now. */
export type OnScheduled = (name: string, bucket: number, delayMs: number) => void;

/** Ended ticks read per advance round trip (SRANDMEMBER: racing nodes mostly take different ones). */
const ADVANCE_BATCH = 500;
/** Rounds per name in one advancer run before yielding to the other names. */
const MAX_ROUNDS_PER_RUN = 20;
/** Attempts of an upsert whose record keeps changing under concurrent calls. */
const MAX_UPSERT_TRIES = 10;
/** Parsed schedules kept (by canonical spec); cleared past this. */
const MAX_CACHED_GRIDS = 10_000;
const CHUNK = 1_000;

/** Schedules, next ticks and their listing, for one key space. */
export class Recurrence {
  private readonly scripts: RecurringScripts;
  private readonly grids = new Map<string, ScheduleGrid>();
  /** "<bucket>\0<name>" -> (name, bucket) whose ended ticks are to be advanced. */
  private readonly pending = new Map<string, { name: string; bucket: number }>();
  private readonly advancer = new SingleFlight(() => this.advancePending());

  constructor(
    private readonly port: RedisPort,
    private readonly keys: KeySpace,
    private readonly names: NameRegistry,
    private readonly log: RecurrenceLogger,
    private readonly onScheduled: OnScheduled,
  ) {
    this.scripts = new RecurringScripts(port, keys);
  }

  /**
   * Creates the schedule of (name, taskInfo), or replaces it if its spec differs; the same spec
   * changes nothing. Resolves to whether anything was written.
   */
  async upsert(name: string, grid: ScheduleGrid, taskInfo: string): Promise<boolean> {
    const keys = this.keys.forTask(name, taskInfo);
    for (let tries = 0; tries < MAX_UPSERT_TRIES; tries++) {
      const current = (await this.port.send(['HGET', keys.recurring, taskInfo], keys.recurring)) as string | null;
      const old = current ? (JSON.parse(current) as ScheduleRecord) : undefined;
      if (old && JSON.stringify(old.spec) === grid.key) return false;
      const nowMs = await this.redisTimeMs(keys.recurring);
      const anchorMs = 'everyMs' in grid.spec ? (grid.spec.startAtMs ?? nowMs) : nowMs;
      const firstDueMs = grid.nextAfter(nowMs - 1, anchorMs)!;
      const record: ScheduleRecord = {
        spec: grid.spec,
        anchorMs,
        nextDueMs: firstDueMs,
        lastRunMs: old?.lastRunMs ?? null,
        lastOutcome: old?.lastOutcome ?? null,
        coalescedTicks: old?.coalescedTicks ?? 0,
      };
      await this.names.register(name);
      const result = await this.scripts.upsert(keys, name, taskInfo, current ?? '', JSON.stringify(record), firstDueMs);
      if (result.written) {
        if (result.delayMs >= 0) this.onScheduled(name, keys.bucket, result.delayMs);
        this.log.debug(`recurring task of "${name}" ${old ? 'rescheduled' : 'scheduled'} (${grid.key}); first tick due at ${new Date(firstDueMs).toISOString()}`);
        return true;
      }
    }
    throw new Error(`redis_scheduler: the schedule of a recurring task of "${name}" kept changing under concurrent addRecurringTask calls; try again`);
  }

  /** Schedules the next tick of the ended ticks of one bucket of a name, soon (once per burst of requests). */
  advanceSoon(name: string, bucket: number): void {
    this.pending.set(`${bucket}\u0000${name}`, { name, bucket });
    this.advancer.request();
  }

  /** Same for every bucket of these names (needs the bucket count). */
  advanceAll(names: Iterable<string>): void {
    for (const name of names) for (const keys of this.keys.allBuckets(name)) this.advanceSoon(name, keys.bucket);
  }

  /** Resolves when no advance is running or requested. */
  settled(): Promise<void> {
    return this.advancer.settled();
  }

  /** The recurring tasks of these names, by name then taskInfo. */
  async list(names: string[]): Promise<RecurringTask[]> {
    const lists = await Promise.all(names.map((name) => this.listName(name)));
    return lists.flat();
  }

  // ---- advancing ----

  private async advancePending(): Promise<void> {
    const units = [...this.pending.values()];
    this.pending.clear();
    await Promise.all(
      units.map(({ name, bucket }) =>
        this.advanceBucket(name, bucket).catch((err: unknown) => {
          this.log.warn(`could not schedule the next recurring ticks of "${name}" (${(err as Error)?.message ?? String(err)}); trying again at the next safety poll`);
        }),
      ),
    );
  }

  private async advanceBucket(name: string, bucket: number): Promise<void> {
    const keys = this.keys.forBucket(name, bucket);
    for (let round = 0; round < MAX_ROUNDS_PER_RUN; round++) {
      const members = ((await this.port.send(['SRANDMEMBER', keys.advance, String(ADVANCE_BATCH)], keys.advance)) as unknown[]).map(String);
      if (members.length === 0) return;
      const [ticksValues, records] = (await Promise.all([
        this.port.send(['HMGET', keys.ticks, ...members], keys.ticks),
        this.port.send(['HMGET', keys.recurring, ...members], keys.recurring),
      ])) as unknown as Array<Array<string | null>>;
      const entries = members.map((taskInfo, i) => this.nextTick(name, taskInfo, ticksValues[i] ?? '', records[i] ?? ''));
      const { applied, delayMs } = await this.scripts.advance(keys, name, entries);
      if (delayMs >= 0) this.onScheduled(name, bucket, delayMs);
      const coalesced = entries.reduce((sum, e) => sum + e.coalescedTicks, 0);
      if (coalesced > 0) {
        this.log.info(`${coalesced} tick(s) of "${name}" were coalesced into one later run each (a tick ran or retried past them, or no node ran them in time)`);
      }
      if (members.length < ADVANCE_BATCH || applied === 0) return;
    }
    this.advanceSoon(name, bucket);
  }

  /** The next tick of one ended tick: first grid point after the tick's start (see docs/recurring.md). */
  private nextTick(name: string, taskInfo: string, ticksValue: string, recordJson: string): AdvanceEntry {
    const drop: AdvanceEntry = { taskInfo, ticksValue, record: recordJson, newRecord: '', nextDueMs: -1, coalescedTicks: 0 };
    const bar = ticksValue.indexOf('|');
    // No schedule: it was removed. No outcome: the task was claimed again and its end re-queues it.
    if (recordJson === '' || bar < 0) return drop;
    try {
      const record = JSON.parse(recordJson) as ScheduleRecord;
      const grid = this.gridOf(record.spec);
      const startMs = Number(ticksValue.slice(0, bar)) || record.nextDueMs;
      const nextDueMs = grid.nextAfter(startMs, record.anchorMs);
      if (nextDueMs === undefined) return drop;
      const coalescedTicks = grid.countBetween(Math.min(record.nextDueMs, startMs), nextDueMs, record.anchorMs);
      const newRecord: ScheduleRecord = {
        ...record,
        nextDueMs,
        lastRunMs: startMs,
        lastOutcome: ticksValue.slice(ticksValue.lastIndexOf('|') + 1) as TickOutcome,
        coalescedTicks: record.coalescedTicks + coalescedTicks,
      };
      return { taskInfo, ticksValue, record: recordJson, newRecord: JSON.stringify(newRecord), nextDueMs, coalescedTicks };
    } catch (err) {
      this.log.warn(`recurring task of "${name}" has an unreadable schedule (${(err as Error).message}); it stops`);
      return drop;
    }
  }

  private gridOf(spec: RecurringSchedule): ScheduleGrid {
    const key = JSON.stringify(spec);
    let grid = this.grids.get(key);
    if (!grid) {
      if (this.grids.size >= MAX_CACHED_GRIDS) this.grids.clear();
      grid = parseSchedule(spec);
      this.grids.set(key, grid);
    }
    return grid;
  }

  // ---- listing ----

  private async listName(name: string): Promise<RecurringTask[]> {
    const lists = await Promise.all(this.keys.allBuckets(name).map((keys) => this.listBucket(name, keys)));
    return lists.flat().sort((a, b) => (a.taskInfo < b.taskInfo ? -1 : a.taskInfo > b.taskInfo ? 1 : 0));
  }

  private async listBucket(name: string, keys: TaskKeys): Promise<RecurringTask[]> {
    const entries: Array<[string, string]> = [];
    let cursor = '0';
    do {
      const [next, flat] = (await this.port.send(['HSCAN', keys.recurring, cursor, 'COUNT', String(CHUNK)], keys.recurring)) as [unknown, unknown[]];
      cursor = String(next);
      for (let i = 0; i < flat.length; i += 2) entries.push([String(flat[i]), String(flat[i + 1])]);
    } while (cursor !== '0');
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const tasks: RecurringTask[] = [];
    for (let i = 0; i < entries.length; i += CHUNK) {
      const chunk = entries.slice(i, i + CHUNK);
      const scores = (await this.port.send(['ZMSCORE', keys.due, ...chunk.map(([taskInfo]) => taskInfo)], keys.due)) as Array<string | null>;
      chunk.forEach(([taskInfo, json], j) => {
        const record = JSON.parse(json) as ScheduleRecord;
        tasks.push({
          name,
          taskInfo,
          schedule: record.spec,
          nextDueMs: scores[j] === null ? null : Number(scores[j]),
          lastRunMs: record.lastRunMs,
          lastOutcome: record.lastOutcome,
          coalescedTicks: record.coalescedTicks,
        });
      });
    }
    return tasks;
  }

  /** Redis TIME on the node holding `key` (a key of the name: its node on a cluster). */
  private async redisTimeMs(key: string): Promise<number> {
    const [seconds, micros] = (await this.port.send(['TIME'], key)) as [string, string];
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }
}
