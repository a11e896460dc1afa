import { IoRedisPort, type IoRedisStandalone } from './ioredis';
import { IoRedisClusterPort, type IoRedisCluster } from './ioredis-cluster';
import { NodeRedis4Port, type NodeRedis4Client } from './node-redis-4';
import { NodeRedis5Port, type NodeRedis5Client } from './node-redis-5';
import { NodeRedisClusterPort, type NodeRedisCluster } from './node-redis-cluster';
import type { RedisPort } from './redis-port';

type Shape = Record<string, unknown>;

const isFunction = (value: Shape, key: string) => typeof value[key] === 'function';

/**
 * Wraps a client of any supported family in its adapter. The family is told by the client's shape,
 * not by `instanceof`: an application may carry its own copy of the library.
 * - ioredis `Redis` / `Cluster`: `call()` and a `status` string; `isCluster` tells them apart;
 * - node-redis cluster (4, 5, 6): `sendCommand()` and `sSubscribe()` and a `masters` list;
 * - node-redis 5/6 client: `sendCommand()` and `close()`; node-redis 4: `sendCommand()`, `disconnect()`.
 * A port passed in is used as it is.
 * @throws TypeError for anything else, saying what is accepted.
 */
export function createRedisPort(client: unknown, warn: (message: string) => void = () => undefined): RedisPort {
  if (typeof client !== 'object' || client === null) throw unsupported(client);
  const shape = client as Shape;
  if (isFunction(shape, 'send') && isFunction(shape, 'onReconnect') && typeof shape.family === 'string') return client as RedisPort;
  if (isFunction(shape, 'call') && typeof shape.status === 'string') {
    return shape.isCluster === true ? new IoRedisClusterPort(client as IoRedisCluster, warn) : new IoRedisPort(client as IoRedisStandalone, warn);
  }
  if (isFunction(shape, 'sendCommand')) {
    if (isFunction(shape, 'sSubscribe') && Array.isArray(shape.masters)) {
      // node-redis 5/6 clusters have close() and emit node-ready; node-redis 4 clusters have neither.
      return new NodeRedisClusterPort(client as NodeRedisCluster, isFunction(shape, 'close'));
    }
    if (isFunction(shape, 'duplicate') && isFunction(shape, 'close')) return new NodeRedis5Port(client as NodeRedis5Client, warn);
    if (isFunction(shape, 'duplicate') && isFunction(shape, 'disconnect')) return new NodeRedis4Port(client as NodeRedis4Client, warn);
  }
  throw unsupported(client);
}

function unsupported(client: unknown): TypeError {
  const what = typeof client === 'object' && client !== null ? (client.constructor?.name ?? 'object') : typeof client;
  return new TypeError(
    `redis_scheduler: unsupported Redis client (${what}): pass a node-redis 4-6 client or cluster (createClient / createCluster) or an ioredis Redis or Cluster`,
  );
}
