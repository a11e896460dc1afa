// Acting on the dead set (issue 12): requeue dead tasks, or delete them. Both go in batches of
// BATCH tasks, one script each, so no call blocks Redis for long whatever the size of the set.
// Retention (deadRetention) is not here: it is applied where a task dies (claim.lua, fail.lua).
import type { PurgeDeadOptions } from '../interfaces/redis_scheduler/beta/types';
import type { TaskKeys } from './keys';
import type { OperatorContext } from './operator-scripts';
import { checkHandlerName, checkTaskInfo } from './validation';

const BATCH = 1_000;

/**
 * Requeues dead tasks of `name` due now with a full set of attempts: those of `taskInfos` that are
 * dead, or every dead task. Returns how many were requeued.
 */
export async function retryDeadTasks(ctx: OperatorContext, name: string, taskInfos?: readonly string[]): Promise<number> {
  checkHandlerName(name);
  if (taskInfos !== undefined) {
    if (!Array.isArray(taskInfos)) throw new TypeError('redis_scheduler: retryDeadTasks taskInfos must be an array of strings, or omitted for all');
    for (const taskInfo of taskInfos) checkTaskInfo(taskInfo, ctx.maxTaskInfoBytes);
  }
  await ctx.ready('retryDeadTasks');
  if (taskInfos) {
    const byBucket = new Map<number, string[]>();
    for (const taskInfo of taskInfos) {
      const bucket = ctx.keys.bucketOf(taskInfo);
      byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), taskInfo]);
    }
    let requeued = 0;
    for (const [bucket, list] of byBucket) {
      const keys = ctx.keys.forBucket(name, bucket);
      for (let i = 0; i < list.length; i += BATCH) requeued += await ctx.scripts.retryTheseDead(keys, name, list.slice(i, i + BATCH));
    }
    return requeued;
  }
  let requeued = 0;
  for (const keys of ctx.keys.allBuckets(name)) requeued += await retryAllDead(ctx, name, keys);
  return requeued;
}

/** Requeues every dead task of one bucket. */
async function retryAllDead(ctx: OperatorContext, name: string, keys: TaskKeys): Promise<number> {
  let requeued = 0;
  // Bounded by the size at the start, so tasks dying meanwhile cannot keep it going forever.
  for (let rounds = Math.ceil((await ctx.scripts.deadCount(keys)) / BATCH); rounds > 0; rounds--) {
    const count = await ctx.scripts.retryOldestDead(keys, name, BATCH);
    requeued += count;
    if (count < BATCH) break;
  }
  return requeued;
}

/** Deletes the dead tasks of `name` (only those dead for at least `olderThanMs`, if given). Returns how many. */
export async function purgeDeadTasks(ctx: OperatorContext, name: string, options: PurgeDeadOptions = {}): Promise<number> {
  checkHandlerName(name);
  if (options === null || typeof options !== 'object') throw new TypeError('redis_scheduler: purgeDeadTasks options must be an object { olderThanMs? }');
  const { olderThanMs } = options;
  if (olderThanMs !== undefined && !(Number.isSafeInteger(olderThanMs) && olderThanMs >= 0)) {
    throw new RangeError(`redis_scheduler: purgeDeadTasks olderThanMs must be a non-negative integer of ms, received ${String(olderThanMs)}`);
  }
  await ctx.ready('purgeDeadTasks');
  let purged = 0;
  for (const keys of ctx.keys.allBuckets(name)) purged += await purgeBucket(ctx, keys, olderThanMs);
  return purged;
}

/** Deletes the dead tasks of one bucket (only those dead for at least `olderThanMs`, if given). */
async function purgeBucket(ctx: OperatorContext, keys: TaskKeys, olderThanMs?: number): Promise<number> {
  let purged = 0;
  for (let rounds = Math.ceil((await ctx.scripts.deadCount(keys)) / BATCH); rounds > 0; rounds--) {
    const count = await ctx.scripts.purgeDead(keys, BATCH, olderThanMs);
    purged += count;
    if (count < BATCH) break;
  }
  return purged;
}
