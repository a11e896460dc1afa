// The operator's scripts (issue 12): inspection, dead-set actions and pause. Like scripts.ts, this
// class only orders each script's KEYS and ARGV and reads its reply; the Lua files hold the logic.
import type { TaskState } from '../interfaces/redis_scheduler/beta/types';
import type { KeySpace, TaskKeys } from './keys';
import { LuaScript, type RedisClient } from './scripts';

/** One task as list-tasks.lua returns it: the raw fields, parsed by inspection.ts. */
export interface RawListedTask {
  taskInfo: string;
  /** The score in the listed set, as Redis formats it (due time, lease expiry or death time). */
  score: string;
  attemptsUsed: string | null;
  claim: string | null;
  deadInfo: string | null;
}

/** Everything stored about one task (get-task.lua); null where absent. */
export interface RawTask {
  dueScore: string | null;
  leaseScore: string | null;
  claim: string | null;
  attemptsUsed: string | null;
  deadScore: string | null;
  deadInfo: string | null;
}

/** The figures of stats.lua for one name. */
export interface RawStats {
  scheduled: number;
  running: number;
  dead: number;
  overdue: number;
  oldestOverdueMs: number;
  retrying: number;
  /** -1 when nothing is scheduled. */
  nextDueMs: number;
  /** -1 when not paused. */
  pausedAtMs: number;
}

/** Where a listing page starts: right after this (score, taskInfo), or at the head. */
export interface ListPosition {
  afterScore: string;
  afterTaskInfo: string;
}

const orNull = (value: unknown): string | null => (value === null || value === undefined || value === false ? null : String(value));

export class OperatorScripts {
  private readonly listScript = new LuaScript('list-tasks.lua');
  private readonly getScript = new LuaScript('get-task.lua');
  private readonly statsScript = new LuaScript('stats.lua');
  private readonly retryDeadScript = new LuaScript('retry-dead.lua');
  private readonly purgeDeadScript = new LuaScript('purge-dead.lua');
  private readonly pauseScript = new LuaScript('pause.lua');
  private readonly resumeScript = new LuaScript('resume.lua');

  constructor(private readonly client: RedisClient) {}

  /** Up to `limit` tasks of `state` after `position`. */
  async list(keys: TaskKeys, state: TaskState, limit: number, position?: ListPosition): Promise<RawListedTask[]> {
    const set = state === 'scheduled' ? keys.due : state === 'running' ? keys.lease : keys.dead;
    const reply = await this.listScript.run<unknown[]>(
      this.client,
      [set, keys.attempts, keys.claims, keys.deadInfo],
      [String(limit), position?.afterScore ?? '', position?.afterTaskInfo ?? '', state],
    );
    const tasks: RawListedTask[] = [];
    for (let i = 0; i < reply.length; i += 5) {
      tasks.push({
        taskInfo: String(reply[i]),
        score: String(reply[i + 1]),
        attemptsUsed: orNull(reply[i + 2]),
        claim: orNull(reply[i + 3]),
        deadInfo: orNull(reply[i + 4]),
      });
    }
    return tasks;
  }

  async get(keys: TaskKeys, taskInfo: string): Promise<RawTask> {
    const reply = await this.getScript.run<unknown[]>(
      this.client,
      [keys.due, keys.lease, keys.claims, keys.attempts, keys.dead, keys.deadInfo],
      [taskInfo],
    );
    const [dueScore, leaseScore, claim, attemptsUsed, deadScore, deadInfo] = reply.map(orNull);
    return { dueScore, leaseScore, claim, attemptsUsed, deadScore, deadInfo };
  }

  async stats(keys: TaskKeys): Promise<RawStats> {
    const keyList = [keys.due, keys.lease, keys.claims, keys.dead, keys.attempts, keys.paused];
    const reply = await this.statsScript.run<unknown[]>(this.client, keyList, []);
    const [scheduled, running, dead, overdue, oldestOverdueMs, retrying, nextDueMs, pausedAtMs] = reply.map(Number);
    return { scheduled, running, dead, overdue, oldestOverdueMs, retrying, nextDueMs, pausedAtMs };
  }

  /** Requeues the `count` oldest dead tasks; returns how many were. */
  async retryOldestDead(keys: TaskKeys, channel: string, name: string, count: number): Promise<number> {
    return this.retryDead(keys, channel, name, ['oldest', String(count)]);
  }

  /** Requeues those of `taskInfos` that are dead; returns how many were. */
  async retryTheseDead(keys: TaskKeys, channel: string, name: string, taskInfos: string[]): Promise<number> {
    return this.retryDead(keys, channel, name, ['these', ...taskInfos]);
  }

  private async retryDead(keys: TaskKeys, channel: string, name: string, selection: string[]): Promise<number> {
    const keyList = [keys.dead, keys.deadInfo, keys.due, keys.attempts, keys.suspects];
    return Number(await this.retryDeadScript.run(this.client, keyList, [channel, name, ...selection]));
  }

  /** Deletes up to `limit` of the oldest dead tasks (only those dead for `olderThanMs`, if given). */
  async purgeDead(keys: TaskKeys, limit: number, olderThanMs?: number): Promise<number> {
    const args = [String(limit), olderThanMs === undefined ? '' : String(olderThanMs)];
    return Number(await this.purgeDeadScript.run(this.client, [keys.dead, keys.deadInfo], args));
  }

  /** Returns whether the name was not paused before. */
  async pause(keys: TaskKeys): Promise<boolean> {
    return Number(await this.pauseScript.run(this.client, [keys.paused], [])) === 1;
  }

  /** Returns whether the name was paused before. */
  async resume(keys: TaskKeys, channel: string, name: string): Promise<boolean> {
    return Number(await this.resumeScript.run(this.client, [keys.paused, keys.due], [channel, name])) === 1;
  }
}

/** What the operator modules (inspection, dead set, pause) work with. */
export interface OperatorContext {
  client: RedisClient;
  keys: KeySpace;
  scripts: OperatorScripts;
  /** The engine's maxTaskInfoBytes, to check taskInfo arguments. */
  maxTaskInfoBytes: number;
}
