import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClientType } from 'redis';
import type { TaskKeys } from './keys';
import { waitAtMost } from './single-flight';

/** Any node-redis client (v5/v6, RESP2 or RESP3, with or without modules). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RedisClient = RedisClientType<any, any, any, any, any>;

/** What `fail.lua` did with a failed run. */
export enum FailOutcome {
  /** The lease was lost (expired and reclaimed, or the task was removed): nothing changed. */
  NotHolder = 0,
  /** A retry is scheduled. */
  Retry = 1,
  /** The last attempt failed: the task is in the dead set. */
  Dead = 2,
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
  /** A suspect is next in line: claim nothing more until this node is idle. */
  WaitForIdle = 2,
}

/** What `claim.lua` returns. */
export interface ClaimResult {
  tasks: ClaimedTask[];
  /** ms until the next due task or lease expiry of that name (0: more are due now; -1: none). */
  nextDelayMs: number;
  isolation: Isolation;
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
}

/**
 * Longest wait for a script's reply. node-redis times out only commands not yet written, so a stalled
 * server or a half-open connection would hold the claim loop until TCP keep-alive gives up, minutes
 * later; with this the loop logs and carries on. A script that ran but whose reply came too late is
 * safe: the leases it took expire and are reclaimed.
 */
const SCRIPT_TIMEOUT_MS = 10_000;

async function withTimeout<T>(command: Promise<T>, what: string): Promise<T> {
  if (!(await waitAtMost(command, SCRIPT_TIMEOUT_MS))) {
    throw new Error(`redis_scheduler: no reply to ${what} within ${SCRIPT_TIMEOUT_MS} ms`);
  }
  return command;
}

/** One Lua file, run by EVALSHA with an EVAL fallback. */
export class LuaScript {
  private readonly source: string;
  private readonly sha: string;

  constructor(private readonly file: string) {
    this.source = readFileSync(join(__dirname, 'lua', file), 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  /** EVALSHA, falling back to EVAL when the server has not cached the script (first call, restart). */
  async run<T>(client: RedisClient, keys: string[], args: string[]): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return (await withTimeout(client.sendCommand(['EVALSHA', this.sha, ...tail]), this.file)) as T;
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await withTimeout(client.sendCommand(['EVAL', this.source, ...tail]), this.file)) as T;
    }
  }
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

  constructor(private readonly client: RedisClient) {}

  /**
   * Adds tasks of one name, given as flat (dueTimeMs, taskInfo) pairs; returns the wake-up delay it
   * published, or -1 if none was needed.
   */
  async add(keys: TaskKeys, namesKey: string, name: string, channel: string, pairs: string[]): Promise<number> {
    return Number(await this.addScript.run(this.client, [keys.due, keys.attempts, namesKey, keys.suspects], [name, channel, ...pairs]));
  }

  /**
   * Leases up to `limit` due tasks of one name; `token` must be unique to this call.
   * `runningHere`: handlers the caller runs now (a suspect is only given to an idle caller).
   */
  async claim(keys: TaskKeys, limit: number, token: string, runningHere: number, settings: ClaimSettings): Promise<ClaimResult> {
    const reply = await this.claimScript.run<Array<string | number>>(
      this.client,
      [keys.due, keys.lease, keys.claims, keys.attempts, keys.dead, keys.deadInfo, keys.suspects, keys.recurring, keys.ticks, keys.advance],
      [String(limit), String(settings.leaseMs), token, String(settings.maxAttempts), settings.expiredError, String(runningHere)],
    );
    const tasks: ClaimedTask[] = [];
    for (let i = 2; i < reply.length; i += 3) {
      const dueTimeMs = String(reply[i + 1]);
      tasks.push({ taskInfo: String(reply[i]), token: `${token}|${dueTimeMs}`, dueTimeMs: Number(dueTimeMs), attempt: Number(reply[i + 2]) });
    }
    return { tasks, nextDelayMs: Number(reply[0]), isolation: Number(reply[1]) as Isolation };
  }

  /** After a claim whose reply was lost: hands back what it leased, without using an attempt. */
  async releaseClaim(keys: TaskKeys, token: string): Promise<number> {
    return Number(await this.releaseClaimScript.run(this.client, [keys.due, keys.lease, keys.claims], [token]));
  }

  /** Acknowledges succeeded tasks; returns the ones refused because their lease was lost. */
  async complete<T extends HeldClaim>(keys: TaskKeys, held: T[]): Promise<T[]> {
    const args: string[] = [];
    for (const h of held) args.push(h.taskInfo, h.token);
    const refused = await this.completeScript.run<number[]>(this.client, [keys.lease, keys.claims, keys.attempts, keys.suspects, keys.recurring, keys.ticks, keys.advance], args);
    return refused.map((position) => held[Number(position) - 1]);
  }

  /** Records a failed run: retry after `retryDelayMs`, or the dead set after the last attempt. */
  async fail(keys: TaskKeys, held: HeldClaim, error: string, maxAttempts: number, retryDelayMs: number): Promise<FailOutcome> {
    const reply = await this.failScript.run<number>(
      this.client,
      [keys.due, keys.lease, keys.claims, keys.attempts, keys.dead, keys.deadInfo, keys.suspects, keys.recurring, keys.ticks, keys.advance],
      [held.taskInfo, held.token, error, String(maxAttempts), String(Math.round(retryDelayMs))],
    );
    return Number(reply) as FailOutcome;
  }

  /** Extends leases; returns the ones that are lost. */
  async renew<T extends HeldClaim>(keys: TaskKeys, leaseMs: number, held: T[]): Promise<T[]> {
    const args = [String(leaseMs), ...held.flatMap((h) => [h.taskInfo, h.token])];
    const lost = await this.renewScript.run<number[]>(this.client, [keys.lease, keys.claims], args);
    return lost.map((position) => held[Number(position) - 1]);
  }

  /** Hands leased tasks back under their due time without using an attempt; returns how many. */
  async release(keys: TaskKeys, held: Array<HeldClaim & { dueTimeMs: number }>): Promise<number> {
    const args = held.flatMap((h) => [h.taskInfo, h.token, String(h.dueTimeMs)]);
    return Number(await this.releaseScript.run(this.client, [keys.due, keys.lease, keys.claims], args));
  }

  /** Cancels a task in every state; returns whether it was found. */
  async remove(keys: TaskKeys, taskInfo: string): Promise<boolean> {
    const reply = await this.removeScript.run(this.client, [keys.due, keys.lease, keys.claims, keys.attempts, keys.suspects, keys.recurring, keys.ticks, keys.advance], [taskInfo]);
    return Number(reply) === 1;
  }
}
