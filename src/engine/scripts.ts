import type { KeySpace, TaskKeys } from './keys';
import { DEFAULT_OPTIONS, type DeadRetention } from './options';
import { publishCommandOf, type RedisPort } from './redis/redis-port';
import { LuaScript } from './redis/script-runner';

/** What `fail.lua` did with a failed run. */
export enum FailOutcome {
  /** The lease was lost (expired and reclaimed): nothing changed. */
  NotHolder = 0,
  /** A retry is scheduled. */
  Retry = 1,
  /** The last attempt failed: the task is in the dead set. */
  Dead = 2,
  /** The task was removed or re-added while this run went on: not retried; the run's lease is freed. */
  Detached = 3,
}

/** A task leased to this node by `claim.lua`. */
export interface ClaimedTask {
  taskInfo: string;
  /** This task's claim: only its holder may complete, fail, renew or release it. */
  token: string;
  dueTimeMs: number;
  /** 1 for the first run, 2 for the first retry, ... */
  attempt: number;
}

/** What `claim.lua` says about suspects: tasks whose last lease expired (they may crash their node). */
export enum Isolation {
  /** No suspect involved. */
  None = 0,
  /** The one task claimed is a suspect: run it alone, claim nothing else until it ends. */
  RunAlone = 1,
  /** A due suspect was left for an idle node: claim again once this node is idle. */
  LeftForIdle = 2,
}

/** What `claim.lua` returns. */
export interface ClaimResult {
  tasks: ClaimedTask[];
  /** ms until the next due task or lease expiry of that name (0: more are due now; -1: none). */
  nextDelayMs: number;
  isolation: Isolation;
}

/** What `complete.lua` reports: the acknowledgements refused (lease lost), and whether a recurring tick ended. */
export interface CompleteResult<T> {
  refused: T[];
  ticksEnded: boolean;
}

/** What `renew.lua` reports about the leases it was asked to extend. */
export interface RenewResult<T> {
  /** Expired and reclaimed: this node no longer holds them. */
  lost: T[];
  /** Removed while running: their lease is kept until the run ends, but the handler must stop. */
  cancelled: T[];
}

/** The figures of one name, each task counted once (see `stats.lua`). */
export interface NameCounts {
  scheduled: number;
  running: number;
  dead: number;
  /** Scheduled tasks due by now. */
  overdue: number;
  /** How late the most overdue task is, by Redis time; 0 when none is overdue. */
  oldestOverdueMs: number;
  /** Tasks that have used attempts (waiting for a retry or running one). */
  retrying: number;
  /** Earliest due time (Unix ms); -1 when nothing is scheduled. */
  nextDueMs: number;
  /** When the name was paused (Unix ms); -1 when it is not paused. */
  pausedAtMs: number;
  /** Recurring tasks. */
  recurring: number;
  /** Recurring ticks coalesced into a later run so far. */
  coalescedTicks: number;
}

/** A task held under a claim token, as the token-checking scripts take it. */
export interface HeldClaim {
  taskInfo: string;
  token: string;
}

/** Arguments of `claim.lua` that do not change from call to call. */
export interface ClaimSettings {
  leaseMs: number;
  maxAttempts: number;
  expiredError: string;
  /** Dead-set retention, applied where a task dies (claim.lua, fail.lua). Default: DEFAULT_OPTIONS.deadRetention. */
  deadRetention?: DeadRetention;
}

/** The atomic operations, one Lua file each; this class only orders their KEYS and ARGV. */
export class Scripts {
  private readonly addScript = new LuaScript('add.lua');
  private readonly claimScript = new LuaScript('claim.lua');
  private readonly completeScript = new LuaScript('complete.lua');
  private readonly failScript = new LuaScript('fail.lua');
  private readonly renewScript = new LuaScript('renew.lua');
  private readonly releaseScript = new LuaScript('release.lua');
  private readonly removeScript = new LuaScript('remove.lua');
  private readonly releaseClaimScript = new LuaScript('release-claim.lua');
  private readonly statsScript = new LuaScript('stats.lua');

  /** Each bucket's wake-up channel, which the scripts publish on (PUBLISH, or SPUBLISH on a cluster), comes with its TaskKeys; `_keySpace` is no longer needed. */
  constructor(
    private readonly port: RedisPort,
    _keySpace?: KeySpace,
  ) {}

  /** The ARGV a publishing script takes about its wake-up: name, channel, publish command. */
  private wakeArgs(name: string, keys: TaskKeys): [string, string, string] {
    return [name, keys.wake, publishCommandOf(this.port)];
  }

  /**
   * Adds tasks of one name, given as flat (dueTimeMs, taskInfo) pairs; returns the wake-up delay it
   * published, or -1 if none was needed.
   */
  async add(keys: TaskKeys, name: string, pairs: string[]): Promise<number> {
    const keyList = [keys.due, keys.attempts, keys.suspects, keys.claims, keys.dead, keys.deadInfo];
    return Number(await this.addScript.run(this.port, keyList, [...this.wakeArgs(name, keys), ...pairs]));
  }

  /**
   * Leases up to `limit` due tasks of one name; `token` must be unique to this call.
   * `runningHere`: handlers the caller runs now (a suspect is only given to an idle caller).
   */
  async claim(keys: TaskKeys, limit: number, token: string, runningHere: number, settings: ClaimSettings): Promise<ClaimResult> {
    const reply = await this.claimScript.run<Array<string | number>>(
      this.port,
      [keys.due, keys.lease, keys.claims, keys.attempts, keys.dead, keys.deadInfo, keys.suspects, keys.paused, keys.recurring, keys.ticks, keys.advance],
      [
        String(limit),
        String(settings.leaseMs),
        token,
        String(settings.maxAttempts),
        settings.expiredError,
        String(runningHere),
        ...retentionArgs(settings.deadRetention),
      ],
    );
    const tasks: ClaimedTask[] = [];
    for (let i = 2; i < reply.length; i += 3) {
      const dueTimeMs = String(reply[i + 1]);
      const claim = `${token}/${tasks.length + 1}|${dueTimeMs}`;
      tasks.push({ taskInfo: String(reply[i]), token: claim, dueTimeMs: Number(dueTimeMs), attempt: Number(reply[i + 2]) });
    }
    return { tasks, nextDelayMs: Number(reply[0]), isolation: Number(reply[1]) as Isolation };
  }

  /** After a claim whose reply was lost: hands back what it leased, without using an attempt. */
  async releaseClaim(keys: TaskKeys, name: string, token: string): Promise<number> {
    return Number(await this.releaseClaimScript.run(this.port, [keys.due, keys.lease, keys.claims], [token, ...this.wakeArgs(name, keys)]));
  }

  /** Acknowledges succeeded tasks; returns the ones refused because their lease was lost. */
  async complete<T extends HeldClaim>(keys: TaskKeys, name: string, held: T[]): Promise<T[]> {
    return (await this.completeReporting(keys, name, held)).refused;
  }

  /** Same, also saying whether a recurring tick ended (joined the `advance` set): only then is there a next tick to schedule. */
  async completeReporting<T extends HeldClaim>(keys: TaskKeys, name: string, held: T[]): Promise<CompleteResult<T>> {
    const args: string[] = this.wakeArgs(name, keys);
    for (const h of held) args.push(h.taskInfo, h.token);
    const reply = await this.completeScript.run<number[]>(this.port, [keys.lease, keys.claims, keys.attempts, keys.suspects, keys.due, keys.recurring, keys.ticks, keys.advance], args);
    const refused: T[] = [];
    let ticksEnded = false;
    for (const position of reply) {
      if (Number(position) === 0) ticksEnded = true;
      else refused.push(held[Number(position) - 1]);
    }
    return { refused, ticksEnded };
  }

  /** Records a failed run: retry after `retryDelayMs`, or the dead set (trimmed to `deadRetention`) after the last attempt. */
  async fail(
    keys: TaskKeys,
    name: string,
    held: HeldClaim,
    error: string,
    maxAttempts: number,
    retryDelayMs: number,
    deadRetention?: DeadRetention,
  ): Promise<FailOutcome> {
    const reply = await this.failScript.run<number>(
      this.port,
      [keys.due, keys.lease, keys.claims, keys.attempts, keys.dead, keys.deadInfo, keys.suspects, keys.recurring, keys.ticks, keys.advance],
      [
        held.taskInfo,
        held.token,
        error,
        String(maxAttempts),
        String(Math.round(retryDelayMs)),
        ...this.wakeArgs(name, keys),
        ...retentionArgs(deadRetention),
      ],
    );
    return Number(reply) as FailOutcome;
  }

  /** Extends leases; returns the ones that are lost and the ones whose task was removed. */
  async renew<T extends HeldClaim>(keys: TaskKeys, leaseMs: number, held: T[]): Promise<RenewResult<T>> {
    const args = [String(leaseMs), ...held.flatMap((h) => [h.taskInfo, h.token])];
    const positions = await this.renewScript.run<number[]>(this.port, [keys.lease, keys.claims], args);
    const result: RenewResult<T> = { lost: [], cancelled: [] };
    for (const position of positions.map(Number)) {
      if (position > 0) result.lost.push(held[position - 1]);
      else result.cancelled.push(held[-position - 1]);
    }
    return result;
  }

  /** Hands leased tasks back under their due time without using an attempt; returns how many. */
  async release(keys: TaskKeys, name: string, held: Array<HeldClaim & { dueTimeMs: number }>): Promise<number> {
    const args = [...this.wakeArgs(name, keys), ...held.flatMap((h) => [h.taskInfo, h.token, String(h.dueTimeMs)])];
    return Number(await this.releaseScript.run(this.port, [keys.due, keys.lease, keys.claims], args));
  }

  /** Cancels a task in every state, dead included (a running one's holder is told at once); ends a recurring task's recurrence; returns whether it was found. */
  async remove(keys: TaskKeys, name: string, taskInfo: string): Promise<boolean> {
    const [, channel, publish] = this.wakeArgs(name, keys);
    const keyList = [keys.due, keys.claims, keys.attempts, keys.suspects, keys.dead, keys.deadInfo, keys.recurring, keys.ticks, keys.advance];
    const reply = await this.removeScript.run(this.port, keyList, [taskInfo, channel, publish]);
    return Number(reply) === 1;
  }

  /** The figures of one name, each task counted once. */
  async stats(keys: TaskKeys): Promise<NameCounts> {
    const keyList = [keys.due, keys.lease, keys.claims, keys.dead, keys.attempts, keys.paused, keys.recurring, keys.coalesced];
    const reply = (await this.statsScript.run<unknown[]>(this.port, keyList, [])).map(Number);
    const [scheduled, running, dead, overdue, oldestOverdueMs, retrying, nextDueMs, pausedAtMs, recurring, coalescedTicks] = reply;
    return { scheduled, running, dead, overdue, oldestOverdueMs, retrying, nextDueMs, pausedAtMs, recurring, coalescedTicks };
  }
}

/** ARGV of the scripts where a task dies (claim.lua, fail.lua): the dead-set retention. */
function retentionArgs(retention: DeadRetention = DEFAULT_OPTIONS.deadRetention): string[] {
  return [String(retention.maxTasks), String(retention.maxAgeMs)];
}
