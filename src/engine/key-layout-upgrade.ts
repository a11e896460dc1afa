import { moveEntries } from './key-copy';
import { KeySpace, TASK_KEY_KINDS, singleTagKeys } from './keys';
import { createRedisPort } from './redis/detect-client';

/** What {@link upgradeKeyLayout} moved. */
export interface KeyLayoutUpgradeReport {
  /** Handler names found in the registry. */
  names: number;
  /** Keys of the old layout moved (and deleted). */
  keys: number;
  /** Entries (tasks, claims, attempt counts, dead-task infos) copied into the new layout. */
  entries: number;
}

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
      const copied = await moveEntries(port, from[field], () => to[field]);
      if (copied !== undefined) {
        report.keys++;
        report.entries += copied;
      }
    }
  }
  return report;
}
