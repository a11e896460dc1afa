// Test project for `ajs module test`: core 0.3.2 require()s the compiled file (dist/test/project.js),
// calls setup() for an antelope.json-shaped config (paths relative to the repository root), loads
// and starts those modules, runs mocha on dist/test, then calls cleanup().
import { RedisServerProcess } from './support/redis-server';
import { MODULE_OPTIONS } from './support/module-options';

let redis: RedisServerProcess | undefined;

export async function setup(): Promise<object> {
  redis = await RedisServerProcess.start();
  process.env.TEST_REDIS_URL = redis.url;
  return {
    cacheFolder: '.antelope/cache',
    logging: { enabled: true, moduleTracking: { enabled: false, includes: [], excludes: [] }, channelFilter: { redis_scheduler: 'error' } },
    modules: {
      redis: { source: { type: 'local', path: 'modules/redis-provider' }, config: { url: redis.url } },
      redis_scheduler: { source: { type: 'local', path: '.' }, config: MODULE_OPTIONS },
    },
  };
}

export async function cleanup(): Promise<void> {
  await redis?.destroy();
  redis = undefined;
}
