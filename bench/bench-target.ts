// Where the engine side of the bench connects (one standalone server, or every node of a cluster),
// and the engine options a bench setup adds (the bucket count).
import { createClient, createCluster } from 'redis';
import { DEFAULT_OPTIONS, type SchedulerOptions } from '../src/engine/options';

export type BenchTopology = 'standalone' | 'cluster';

/** A standalone server (one URL) or a cluster (any of its nodes' URLs; each works as a root node). */
export interface BenchTarget {
  topology: BenchTopology;
  urls: string[];
}

/** A connected node-redis 6 client or cluster, and how to close it. */
export interface BenchConnection {
  client: unknown;
  close(): Promise<void>;
}

export async function connectBenchTarget(target: BenchTarget): Promise<BenchConnection> {
  if (target.topology === 'cluster') {
    const cluster = createCluster({ rootNodes: target.urls.map((url) => ({ url })) });
    cluster.on('error', () => undefined);
    await cluster.connect();
    return { client: cluster, close: () => cluster.close() };
  }
  const client = createClient({ url: target.urls[0] });
  client.on('error', () => undefined);
  await client.connect();
  return { client, close: () => client.close() };
}

/** Whether this engine has the `buckets` option (issue 9); before it, a bucket count is not passed. */
export const BUCKETS_SUPPORTED = Object.hasOwn(DEFAULT_OPTIONS, 'buckets');

/** The engine's default bucket setting (a count, or "auto"), when it has one. */
export function defaultBuckets(): number | string | undefined {
  return BUCKETS_SUPPORTED ? (DEFAULT_OPTIONS as unknown as { buckets: number | string }).buckets : undefined;
}

/**
 * `base` plus `buckets` when given and the engine knows the option. An engine without buckets would
 * refuse the unknown field, so there the count is left out (and the report says so).
 */
export function withBuckets(base: Partial<SchedulerOptions>, buckets: number | undefined): Partial<SchedulerOptions> {
  if (buckets === undefined || !BUCKETS_SUPPORTED) return base;
  return { ...base, buckets } as Partial<SchedulerOptions>;
}
