// Test project for `ajs module test`: core 0.3.2 require()s the compiled file (dist/test/project.js),
// calls setup() for an antelope.json-shaped config (paths relative to the repository root), loads
// and starts those modules, runs mocha on dist/test, then calls cleanup().
// TEST_REDIS_CLIENT (node-redis-6 | node-redis-4 | ioredis) and TEST_REDIS_TOPOLOGY (standalone |
// cluster) pick the Redis (see scripts/test-matrix.js). node-redis 6 (the default, on a standalone
// server) uses the real provider (modules/redis-provider); node-redis 4 and ioredis a test-only
// provider that hands out that client (test/fixtures/any-redis-provider).
// With TEST_REDIS_ACL=1 (npm run test:acl, standalone) the provider and the worker processes log in as
// a user holding exactly the documented least-privilege ACL rule; test-only reads use
// TEST_REDIS_ADMIN_URL.
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { aclRuleFor, legacyAclRuleFor } from '../src/engine/acl-rule';
import { RedisClusterProcess } from './support/redis-cluster';
import { RedisServerProcess } from './support/redis-server';
import { MODULE_OPTIONS } from './support/module-options';
import { targetFromEnv } from './support/redis-target';

/** Every keyPrefix of the tests that npm run test:acl runs (module.test, multi-node.test). */
const ACL_TEST_PREFIXES = [MODULE_OPTIONS.keyPrefix!, 'test:multi:once', 'test:multi:crash', 'test:multi:exit'];

const aclRun = process.env.TEST_REDIS_ACL === '1';

let redis: RedisServerProcess | RedisClusterProcess | undefined;

/** Creates the user `scheduler` holding exactly the documented rule for each test prefix, with a random password. */
async function createAclUser(adminUrl: string): Promise<{ username: string; password: string }> {
  const password = randomBytes(18).toString('base64url');
  const rule = ACL_TEST_PREFIXES.flatMap((prefix) => aclRuleFor(prefix).split(' '));
  // The module's config moves the published scheduler's tasks (migrateLegacyTasks): the documented addition.
  if (MODULE_OPTIONS.migrateLegacyTasks) rule.push(...legacyAclRuleFor().split(' '));
  const admin = createClient({ url: adminUrl });
  await admin.connect();
  try {
    await admin.sendCommand(['ACL', 'SETUSER', 'scheduler', 'reset', 'on', `>${password}`, ...rule]);
  } finally {
    await admin.close();
  }
  return { username: 'scheduler', password };
}

/**
 * After an ACL run: a denial the engine swallowed (the eviction check, the wake-up subscription) fails
 * no test, but shows in ACL LOG; any entry there fails the run, so the rule is proven sufficient.
 */
async function failOnAclDenials(adminUrl: string): Promise<void> {
  const admin = createClient({ url: adminUrl });
  await admin.connect();
  try {
    const entries = (await admin.sendCommand(['ACL', 'LOG'])) as unknown[];
    if (entries.length > 0) {
      console.error(`[test:acl] ${entries.length} ACL denial(s) during the run; the documented rule is not enough:`, JSON.stringify(entries));
      process.exitCode = 1;
    } else {
      console.log('[test:acl] ACL LOG is empty: the documented rule was enough for every command');
    }
  } finally {
    await admin.close();
  }
}

export async function setup(): Promise<object> {
  const target = targetFromEnv();
  let providerConfig: object;
  if (target.topology === 'cluster') {
    const cluster = await RedisClusterProcess.start();
    redis = cluster;
    target.urls = cluster.urls;
    providerConfig = { cluster: { rootNodes: target.urls.map((url) => ({ url })) } };
  } else {
    // Redis 7's default, stated for the ACL run: a user reaches only the channels its rule names.
    const server = await RedisServerProcess.start(aclRun ? ['--acl-pubsub-default', 'resetchannels'] : []);
    redis = server;
    target.urls = [server.url];
    providerConfig = { url: server.url };
    if (aclRun) {
      const { username, password } = await createAclUser(server.url);
      process.env.TEST_REDIS_ADMIN_URL = server.url;
      target.urls = [`redis://${username}:${password}@127.0.0.1:${server.port}`];
      providerConfig = { url: server.url, username, password };
    }
    process.env.TEST_REDIS_URL = target.urls[0];
  }
  process.env.TEST_REDIS_URLS = target.urls.join(',');
  return {
    cacheFolder: '.antelope/cache',
    logging: { enabled: true, moduleTracking: { enabled: false, includes: [], excludes: [] }, channelFilter: { redis_scheduler: 'error' } },
    modules: {
      // node-redis 6 goes through the real provider (its `url` or `cluster` config), the others through
      // the test-only one.
      redis:
        target.client === 'node-redis-6'
          ? { source: { type: 'local', path: 'modules/redis-provider' }, config: providerConfig }
          : { source: { type: 'local', path: 'test/fixtures/any-redis-provider' }, config: target },
      redis_scheduler: { source: { type: 'local', path: '.' }, config: MODULE_OPTIONS },
    },
  };
}

export async function cleanup(): Promise<void> {
  if (redis instanceof RedisServerProcess && aclRun) await failOnAclDenials(process.env.TEST_REDIS_ADMIN_URL!);
  await redis?.destroy();
  redis = undefined;
}
