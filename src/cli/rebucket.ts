// `redis-scheduler rebucket`: the offline re-bucketing (docs/buckets.md) with the engine's rebucket().
// It works on the client directly: no RedisScheduler, so nothing reads or records the bucket count first.
import { rebucket } from '../engine/bucket-move';
import type { CliRequest } from './args';
import type { CommandResult } from './commands';

/** Moves every task of the prefix to `request.buckets` buckets; prints what moved. Rejects (exit 1) while a task runs. */
export async function runRebucket(client: unknown, request: CliRequest): Promise<CommandResult> {
  const report = await rebucket(client, { keyPrefix: request.keyPrefix, buckets: request.buckets, names: request.names });
  if (request.json) return { output: JSON.stringify({ keyPrefix: request.keyPrefix, ...report }, null, 2), exitCode: 0 };
  const moved = Object.entries(report.entries).map(([kind, n]) => `${kind} ${n}`).join(', ') || 'nothing';
  const output =
    report.from === report.to
      ? `"${request.keyPrefix}" already has ${report.to} bucket(s): nothing to do`
      : `re-bucketed "${request.keyPrefix}" from ${report.from} to ${report.to} bucket(s): ${report.names} name(s); entries moved: ${moved}`;
  return { output, exitCode: 0 };
}
