// The offline re-bucketing (docs/buckets.md): moves every task of a key prefix from its recorded
// bucket count to another, in every state, then records the new count.
import { fnv1a32 } from './bucket-hash';
import { KeySpace, MAX_BUCKETS, TASK_KEY_KINDS, type TaskKeys } from './keys';
import { createRedisPort } from './redis/detect-client';
import type { RedisPort } from './redis/redis-port';
import { moveEntries } from './key-copy';

/** What {@link rebucket} did. */
export interface RebucketReport {
  /** The bucket count before (1 for a prefix with no recorded count). */
  from: number;
  to: number;
  /** Handler names found in the registry (and given). */
  names: number;
  /** Entries copied into the new layout, by key kind (due = scheduled and retrying tasks, lease = expired leases, ...). */
  entries: Record<string, number>;
}

/** Options of {@link rebucket}. */
export interface RebucketOptions {
  /** The scheduler's keyPrefix. Default `"ajs:scheduler"`. */
  keyPrefix?: string;
  /** The new bucket count (1 to 256). */
  buckets: number;
  /** Names to move besides those of the registry (a name the registry lost). */
  names?: readonly string[];
}

/** Kinds whose entries are keyed by taskInfo: each entry goes to the bucket of its taskInfo. */
const MEMBER_KINDS = TASK_KEY_KINDS.filter(([field]) => field !== 'paused' && field !== 'coalesced');

/**
 * Moves the tasks of `keyPrefix` into `buckets` buckets: scheduled, waiting for a retry (with their
 * attempts and suspicion), dead (with their error), recurring schedules and ticks, expired leases of
 * stopped nodes (with their claims: the next claim counts them as it would have), the pause flag and
 * the coalesced-tick counter. Refuses, moving nothing, while a lease is live (a node runs a task):
 * stop every node and producer first. While it runs, the recorded count reads "moving <from> <to>",
 * so a node that starts meanwhile refuses to. Safe to interrupt: run it again with the same count;
 * each key is copied without overwriting what the new layout holds, then deleted.
 * @param client any client the engine accepts (standalone or cluster).
 * @throws Error when a lease is live, or when an interrupted run went to another count.
 */
export async function rebucket(client: unknown, options: RebucketOptions): Promise<RebucketReport> {
  const to = options.buckets;
  if (!Number.isSafeInteger(to) || to < 1 || to > MAX_BUCKETS) throw new RangeError(`redis_scheduler: buckets must be an integer from 1 to ${MAX_BUCKETS}, received ${String(to)}`);
  const port = createRedisPort(client);
  const keys = new KeySpace(options.keyPrefix ?? 'ajs:scheduler');
  const from = await recordedFrom(port, keys, to);
  const registered = Array.from((await port.send(['SMEMBERS', keys.names], keys.names)) as Iterable<unknown>, String);
  const names = [...new Set([...registered, ...(options.names ?? [])])];
  const report: RebucketReport = { from, to, names: names.length, entries: {} };
  if (from === to) return report;
  await refuseLiveLeases(port, keys, names, from);
  await port.send(['SET', keys.bucketsKey, `moving ${from} ${to}`], keys.bucketsKey);
  for (const name of names) {
    if (options.names?.includes(name)) await port.send(['SADD', keys.names, name], keys.names);
    await moveName(port, keys.layoutOf(name, from), keys.layoutOf(name, to), report);
  }
  await port.send(['SET', keys.bucketsKey, String(to)], keys.bucketsKey);
  return report;
}

/** The count to move from: the recorded one, or that of an interrupted run to the same count. */
async function recordedFrom(port: RedisPort, keys: KeySpace, to: number): Promise<number> {
  const recorded = (await port.send(['GET', keys.bucketsKey], keys.bucketsKey)) as string | null;
  if (recorded === null) return 1;
  const moving = /^moving (\d+) (\d+)$/.exec(recorded);
  if (!moving) return Number(recorded);
  if (Number(moving[2]) !== to) {
    throw new Error(`redis_scheduler: an interrupted re-bucketing of "${keys.prefix}" was going from ${moving[1]} to ${moving[2]} buckets: finish it first (--buckets ${moving[2]})`);
  }
  return Number(moving[1]);
}

async function refuseLiveLeases(port: RedisPort, keys: KeySpace, names: string[], from: number): Promise<void> {
  for (const name of names) {
    for (const bucket of keys.layoutOf(name, from)) {
      const [seconds, micros] = (await port.send(['TIME'], bucket.lease)) as [string, string];
      const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const live = Number(await port.send(['ZCOUNT', bucket.lease, `(${nowMs}`, '+inf'], bucket.lease));
      if (live > 0) {
        throw new Error(
          `redis_scheduler: ${live} task(s) of "${name}" hold a live lease (a node runs them): stop every node and producer of "${keys.prefix}" ` +
            'and let running tasks end (or their leases expire), then run the re-bucketing again; nothing was moved',
        );
      }
    }
  }
}

/** Moves one name's keys from the old layout to the new one. */
async function moveName(port: RedisPort, oldBuckets: TaskKeys[], newBuckets: TaskKeys[], report: RebucketReport): Promise<void> {
  const bucketOf = (member: string) => (newBuckets.length === 1 ? 0 : fnv1a32(member) % newBuckets.length);
  for (const old of oldBuckets) {
    for (const [field, kind] of MEMBER_KINDS) {
      const copied = (await moveEntries(port, old[field], (member) => newBuckets[bucketOf(member)][field])) ?? 0;
      if (copied > 0) report.entries[kind] = (report.entries[kind] ?? 0) + copied;
    }
    const pausedAt = (await port.send(['GET', old.paused], old.paused)) as string | null;
    if (pausedAt !== null) {
      for (const keys of newBuckets) await port.send(['SET', keys.paused, pausedAt, 'NX'], keys.paused);
      await port.send(['DEL', old.paused], old.paused);
      report.entries.paused = (report.entries.paused ?? 0) + 1;
    }
    const coalesced = (await port.send(['GET', old.coalesced], old.coalesced)) as string | null;
    if (coalesced !== null) {
      await port.send(['INCRBY', newBuckets[0].coalesced, coalesced], newBuckets[0].coalesced);
      await port.send(['DEL', old.coalesced], old.coalesced);
    }
  }
}
