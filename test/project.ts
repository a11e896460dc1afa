// Test project for `ajs module test`: core 0.3.2 require()s the compiled file (dist/test/project.js),
// calls setup() for an antelope.json-shaped config (paths relative to the repository root), loads
// and starts those modules, runs mocha on dist/test, then calls cleanup().
// TEST_REDIS_CLIENT (node-redis-6 | node-redis-4 | ioredis) and TEST_REDIS_TOPOLOGY (standalone |
// cluster) pick the Redis (see scripts/test-matrix.js). node-redis 6 (the default, on a standalone
// server) uses the real provider (modules/redis-provider); node-redis 4 and ioredis a test-only
// provider that hands out that client (test/fixtures/any-redis-provider).
import { RedisClusterProcess } from './support/redis-cluster';
import { RedisServerProcess } from './support/redis-server';
import { MODULE_OPTIONS } from './support/module-options';
import { targetFromEnv } from './support/redis-target';

let redis: RedisServerProcess | RedisClusterProcess | undefined;

export async function setup(): Promise<object> {
  const target = targetFromEnv();
  if (target.topology === 'cluster') {
    const cluster = await RedisClusterProcess.start();
    redis = cluster;
    target.urls = cluster.urls;
  } else {
    const server = await RedisServerProcess.start();
    redis = server;
    target.urls = [server.url];
    process.env.TEST_REDIS_URL = server.url;
  }
  process.env.TEST_REDIS_URLS = target.urls.join(',');
  // node-redis 6 goes through the real provider (its `url` or `cluster` config), the others through the
  // test-only one.
  const realProviderConfig =
    target.topology === 'cluster' ? { cluster: { rootNodes: target.urls.map((url) => ({ url })) } } : { url: target.urls[0] };
  return {
    cacheFolder: '.antelope/cache',
    logging: { enabled: true, moduleTracking: { enabled: false, includes: [], excludes: [] }, channelFilter: { redis_scheduler: 'error' } },
    modules: {
      redis:
        target.client === 'node-redis-6'
        ? { source: { type: 'local', path: 'modules/redis-provider' }, config: realProviderConfig }
        : { source: { type: 'local', path: 'test/fixtures/any-redis-provider' }, config: target },
      redis_scheduler: { source: { type: 'local', path: '.' }, config: MODULE_OPTIONS },
    },
  };
}

export async function cleanup(): Promise<void> {
  await redis?.destroy();
  redis = undefined;
}
