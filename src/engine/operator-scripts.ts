// The operator's scripts (issue 12): inspection, dead-set actions and pause. Like scripts.ts, this
// class only orders each script's KEYS and ARGV and reads its reply; the Lua files hold the logic.
import type { TaskState } from '../interfaces/redis_scheduler/beta/types';
import type { KeySpace, TaskKeys } from './keys';
import type { NameRegistry } from './name-registry';
import { publishCommandOf, type RedisPort } from './redis/redis-port';
import { LuaScript } from './redis/script-runner';

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

/** Where a listing page starts: right after this (score, taskInfo), or at the head. */
export interface ListPosition {
  afterScore: string;
  afterTaskInfo: string;
}

const orNull = (value: unknown): string | null => (value === null || value === undefined || value === false ? null : String(value));

/** The operator's atomic operations, one Lua file each, all on the keys of one name. */
export class OperatorScripts {
  private readonly listScript = new LuaScript('list-tasks.lua');
  private readonly getScript = new LuaScript('get-task.lua');
  private readonly retryDeadScript = new LuaScript('retry-dead.lua');
  private readonly purgeDeadScript = new LuaScript('purge-dead.lua');
  private readonly pauseScript = new LuaScript('pause.lua');
  private readonly resumeScript = new LuaScript('resume.lua');

  /** Each bucket's wake-up channel, which the scripts publish on (PUBLISH, or SPUBLISH on a cluster), comes with its TaskKeys; `_keySpace` is no longer needed. */
  constructor(
    private readonly port: RedisPort,
    _keySpace?: KeySpace,
  ) {}

  /** The ARGV a publishing script takes about its wake-up: name, channel, publish command. */
  private wakeArgs(name: string, keys: TaskKeys): string[] {
    return [name, keys.wake, publishCommandOf(this.port)];
  }

  /** Up to `limit` tasks of `state` after `position`. */
  async list(keys: TaskKeys, state: TaskState, limit: number, position?: ListPosition): Promise<RawListedTask[]> {
    const set = state === 'scheduled' ? keys.due : state === 'running' ? keys.lease : keys.dead;
    const reply = await this.listScript.run<unknown[]>(
      this.port,
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
      this.port,
      [keys.due, keys.lease, keys.claims, keys.attempts, keys.dead, keys.deadInfo],
      [taskInfo],
    );
    const [dueScore, leaseScore, claim, attemptsUsed, deadScore, deadInfo] = reply.map(orNull);
    return { dueScore, leaseScore, claim, attemptsUsed, deadScore, deadInfo };
  }

  /** Requeues the `count` oldest dead tasks; returns how many were. */
  async retryOldestDead(keys: TaskKeys, name: string, count: number): Promise<number> {
    return this.retryDead(keys, name, ['oldest', String(count)]);
  }

  /** Requeues those of `taskInfos` that are dead; returns how many were. */
  async retryTheseDead(keys: TaskKeys, name: string, taskInfos: string[]): Promise<number> {
    return this.retryDead(keys, name, ['these', ...taskInfos]);
  }

  private async retryDead(keys: TaskKeys, name: string, selection: string[]): Promise<number> {
    const keyList = [keys.dead, keys.deadInfo, keys.due, keys.attempts, keys.suspects];
    return Number(await this.retryDeadScript.run(this.port, keyList, [...this.wakeArgs(name, keys), ...selection]));
  }

  /** Deletes up to `limit` of the oldest dead tasks (only those dead for `olderThanMs`, if given). */
  async purgeDead(keys: TaskKeys, limit: number, olderThanMs?: number): Promise<number> {
    const args = [String(limit), olderThanMs === undefined ? '' : String(olderThanMs)];
    return Number(await this.purgeDeadScript.run(this.port, [keys.dead, keys.deadInfo], args));
  }

  /** Returns whether the name was not paused before. */
  async pause(keys: TaskKeys): Promise<boolean> {
    return Number(await this.pauseScript.run(this.port, [keys.paused], [])) === 1;
  }

  /** Returns whether the name was paused before. */
  async resume(keys: TaskKeys, name: string): Promise<boolean> {
    return Number(await this.resumeScript.run(this.port, [keys.paused, keys.due], this.wakeArgs(name, keys))) === 1;
  }

  /** How many tasks the dead set of `keys` holds. */
  async deadCount(keys: TaskKeys): Promise<number> {
    return Number(await this.port.send(['ZCARD', keys.dead], keys.dead));
  }
}

/** What the operator modules (inspection, dead set, pause) work with. */
export interface OperatorContext {
  port: RedisPort;
  keys: KeySpace;
  scripts: OperatorScripts;
  /** The registry of names (a paused name is listed by getStats before its first task). */
  names: NameRegistry;
  /** The engine's maxTaskInfoBytes, to check taskInfo arguments. */
  maxTaskInfoBytes: number;
  /** Waits for Redis (up to redisWaitMs) before the first command of `call`, after its checks. */
  ready(call: string): Promise<void>;
}
