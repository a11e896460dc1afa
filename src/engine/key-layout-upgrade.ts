import { KeySpace, TASK_KEY_KINDS, singleTagKeys } from './keys';
import { createRedisPort } from './redis/detect-client';
import type { RedisPort } from './redis/redis-port';

/** What {@link upgradeKeyLayout} moved. */
export interface KeyLayoutUpgradeReport {
  /** Handler names found in the registry. */
  names: number;
  /** Keys of the old layout moved (and deleted). */
  keys: number;
  /** Entries (tasks, claims, attempt counts, dead-task infos) copied into the new layout. */
  entries: number;
}

const SCAN_COUNT = '1000';

/**
 * Moves the tasks of the single-tag layout (`{prefix}:<kind>:<name>`, every name in one Cluster
 * slot) to the per-name layout (`prefix:{name}:<kind>`): scheduled, running (with their claims,
 * so leases keep their expiry), waiting for a retry, attempt counts, suspects and dead tasks.
 *
 * Run it once after stopping the nodes of the old version, before or while starting the new one.
 * Idempotent and safe to interrupt: each old key is copied entry by entry into its new key without
 * overwriting an entry already there (a task the new version added since keeps its due time),
 * then deleted; a second run finds nothing left to move. Each step is one single-key command, so
 * it works on a cluster too. A task still running on an old node when it moves runs again on a
 * new node after its lease (at-least-once), never lost.
 * @param client any client the engine accepts.
 * @param keyPrefix the scheduler's keyPrefix (default `"ajs:scheduler"`).
 */
export async function upgradeKeyLayout(client: unknown, keyPrefix = 'ajs:scheduler'): Promise<KeyLayoutUpgradeReport> {
  const port = createRedisPort(client);
  const keys = new KeySpace(keyPrefix);
  // It writes the one-bucket layout: a prefix re-bucketed already is upgraded first, re-bucketed after.
  const recorded = (await port.send(['GET', keys.bucketsKey], keys.bucketsKey)) as string | null;
  if (recorded !== null && recorded !== '1') {
    throw new Error(`redis_scheduler: "${keyPrefix}" has ${recorded} bucket(s): upgrade the key layout before re-bucketing (redis-scheduler rebucket ... --buckets 1 first)`);
  }
  const names = Array.from((await port.send(['SMEMBERS', keys.names], keys.names)) as Iterable<unknown>, String);
  const report: KeyLayoutUpgradeReport = { names: names.length, keys: 0, entries: 0 };
  for (const name of names) {
    const from = singleTagKeys(keyPrefix, name);
    const to = keys.forHandler(name);
    for (const [field] of TASK_KEY_KINDS) {
      const copied = await moveKey(port, from[field], to[field]);
      if (copied !== undefined) {
        report.keys++;
        report.entries += copied;
      }
    }
  }
  return report;
}

/** Copies `from` into `to` (existing entries of `to` win), then deletes `from`; undefined if absent. */
async function moveKey(port: RedisPort, from: string, to: string): Promise<number | undefined> {
  const type = String(await port.send(['TYPE', from], from));
  if (type === 'none') return undefined;
  const scan = { zset: 'ZSCAN', hash: 'HSCAN', set: 'SSCAN' }[type];
  if (!scan) throw new Error(`redis_scheduler: cannot upgrade ${from}: unexpected type ${type}`);
  let copied = 0;
  let cursor = '0';
  do {
    const [next, page] = (await port.send([scan, from, cursor, 'COUNT', SCAN_COUNT], from)) as [unknown, unknown[]];
    cursor = String(next);
    const entries = page.map(String);
    if (entries.length > 0) copied += await writeMissing(port, type, to, entries);
  } while (cursor !== '0');
  await port.send(['DEL', from], from);
  return copied;
}

/** Writes one scanned page into `to` without overwriting; returns how many entries it holds. */
async function writeMissing(port: RedisPort, type: string, to: string, entries: string[]): Promise<number> {
  if (type === 'set') {
    await port.send(['SADD', to, ...entries], to);
    return entries.length;
  }
  if (type === 'hash') {
    // HSCAN pages are (field, value) pairs.
    for (let i = 0; i < entries.length; i += 2) await port.send(['HSETNX', to, entries[i], entries[i + 1]], to);
  } else {
    // ZSCAN pages are (member, score) pairs; ZADD takes (score, member).
    const pairs: string[] = [];
    for (let i = 0; i < entries.length; i += 2) pairs.push(entries[i + 1], entries[i]);
    await port.send(['ZADD', to, 'NX', ...pairs], to);
  }
  return entries.length / 2;
}
