// Which Redis the tests run against (client family x topology), and how to connect to it.
// Set by test/project.ts from TEST_REDIS_CLIENT / TEST_REDIS_TOPOLOGY (scripts/test-matrix.js).
// The libraries are loaded when first used, so a worker process loads only its own family.
import type * as IoRedis from 'ioredis';
import { waitAtMost } from '../../src/engine/single-flight';

/** A client family as the tests create it. */
export type ClientKind = 'node-redis-6' | 'node-redis-4' | 'ioredis';
export type Topology = 'standalone' | 'cluster';

/** Where and how to connect: one URL for a standalone server, every node's URL for a cluster. */
export interface RedisTarget {
  client: ClientKind;
  topology: Topology;
  urls: string[];
}

/** A connected client of the target's family, and how to close it. */
export interface TestConnection {
  client: unknown;
  close(): Promise<void>;
}

export const CLIENT_KINDS: readonly ClientKind[] = ['node-redis-6', 'node-redis-4', 'ioredis'];

/** The target of this test run (node-redis 6 on the standalone server of TEST_REDIS_URL by default). */
export function targetFromEnv(): RedisTarget {
  const client = (process.env.TEST_REDIS_CLIENT ?? 'node-redis-6') as ClientKind;
  const topology = (process.env.TEST_REDIS_TOPOLOGY ?? 'standalone') as Topology;
  const urls = (process.env.TEST_REDIS_URLS ?? process.env.TEST_REDIS_URL ?? '').split(',').filter(Boolean);
  return { client, topology, urls };
}

/** Connects a client of the target's family and waits until it is ready. */
export async function connectTarget(target: RedisTarget, name?: string): Promise<TestConnection> {
  const cluster = target.topology === 'cluster';
  if (target.client === 'ioredis') {
    const { Cluster, Redis } = require('ioredis') as typeof IoRedis;
    const options = { lazyConnect: true, connectionName: name };
    const client = cluster
      ? new Cluster(target.urls.map(hostPort), { redisOptions: options, lazyConnect: true })
      : new Redis(target.urls[0], options);
    client.on('error', () => undefined);
    await client.connect();
    return { client, close: async () => void (await client.quit().catch(() => client.disconnect())) };
  }
  const library = require(target.client === 'node-redis-4' ? 'redis4' : 'redis') as NodeRedisLibrary;
  const client = cluster
    ? library.createCluster({ rootNodes: target.urls.map((url) => ({ url })), defaults: name ? { name } : {} })
    : library.createClient({ url: target.urls[0], ...(name ? { name } : {}) });
  client.on('error', () => undefined);
  await client.connect();
  // node-redis 4 clusters may never answer QUIT while a node is down: drop the connections after 3 s.
  const close = async () => {
    const graceful = (client.close ? client.close() : client.quit()).catch(() => undefined);
    if (!(await waitAtMost(graceful, 3_000))) await (client.destroy ? client.destroy() : client.disconnect());
  };
  return { client, close };
}

/** node-redis 4 and 6 as these tests use them (their types differ too much to share one). */
interface NodeRedisLibrary {
  createClient(options: object): NodeRedisConnection;
  createCluster(options: object): NodeRedisConnection;
}

interface NodeRedisConnection {
  on(event: string, listener: () => void): unknown;
  connect(): Promise<unknown>;
  close?(): Promise<unknown>;
  destroy?(): void;
  quit(): Promise<unknown>;
  disconnect(): Promise<unknown>;
}

function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379) };
}
