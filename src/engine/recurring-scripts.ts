import type { KeySpace, TaskKeys } from './keys';
import { publishCommandOf, type RedisPort } from './redis/redis-port';
import { LuaScript } from './redis/script-runner';

/** One ended tick to advance, as `recurring-advance.lua` takes it. */
export interface AdvanceEntry {
  taskInfo: string;
  /** The `ticks` value read ("<startMs>|<outcome>"); the write happens only if it is unchanged. */
  ticksValue: string;
  /** The schedule record read ("" for none); likewise. */
  record: string;
  /** The record to store; ignored when `nextDueMs` is -1. */
  newRecord: string;
  /** Due time of the next tick, or -1 to drop the entry only. */
  nextDueMs: number;
  /** Ticks this advance coalesced (for the per-name counter). */
  coalescedTicks: number;
}

/** What recurring-upsert.lua did: whether it wrote, and the wake-up delay it published (-1: none). */
export interface WriteResult {
  written: boolean;
  delayMs: number;
}

/** The recurring-task scripts; this class only orders their KEYS and ARGV. */
export class RecurringScripts {
  private readonly upsertScript = new LuaScript('recurring-upsert.lua');
  private readonly advanceScript = new LuaScript('recurring-advance.lua');

  /** Each bucket's wake-up channel, which the scripts publish on (PUBLISH, or SPUBLISH on a cluster), comes with its TaskKeys; `_keySpace` is no longer needed. */
  constructor(
    private readonly port: RedisPort,
    _keySpace?: KeySpace,
  ) {}

  /** The ARGV a publishing script takes about its wake-up: name, channel, publish command. */
  private wakeArgs(name: string, keys: TaskKeys): [string, string, string] {
    return [name, keys.wake, publishCommandOf(this.port)];
  }

  /** Replaces the schedule record `expected` ("" for none) by `record` and schedules its first tick. */
  async upsert(keys: TaskKeys, name: string, taskInfo: string, expected: string, record: string, firstDueMs: number): Promise<WriteResult> {
    const reply = await this.upsertScript.run<number[]>(
      this.port,
      [keys.recurring, keys.ticks, keys.advance, keys.due, keys.claims, keys.attempts, keys.suspects],
      [...this.wakeArgs(name, keys), taskInfo, expected, record, String(firstDueMs)],
    );
    return { written: Number(reply[0]) === 1, delayMs: Number(reply[1] ?? -1) };
  }

  /** Schedules the next ticks of ended ticks; returns how many entries applied and the wake-up published. */
  async advance(keys: TaskKeys, name: string, entries: AdvanceEntry[]): Promise<{ applied: number; delayMs: number }> {
    const args = entries.flatMap((e) => [e.taskInfo, e.ticksValue, e.record, e.newRecord, String(e.nextDueMs), String(e.coalescedTicks)]);
    const reply = await this.advanceScript.run<number[]>(
      this.port,
      [keys.recurring, keys.ticks, keys.advance, keys.due, keys.lease, keys.coalesced],
      [...this.wakeArgs(name, keys), ...args],
    );
    return { applied: Number(reply[0]), delayMs: Number(reply[1]) };
  }
}
