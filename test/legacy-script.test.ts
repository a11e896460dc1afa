// `npm run migrate-legacy -- --url …`: the one-shot move, as an operator runs it (scripts/migrate-legacy.js).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { KeySpace } from '../src/engine/keys';
import type { RedisClient } from './support/redis-client';
import { LEGACY_KEY, legacyAddRetry, legacyAddTask } from './support/legacy-node';
import { RedisServerProcess } from './support/redis-server';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'migrate-legacy.js');
const run = promisify(execFile);

/** Runs the script; resolves to its exit code and output, whatever the code. */
async function migrateLegacy(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [SCRIPT, ...args], { env: { ...process.env, REDIS_URL: '' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run migrate-legacy', function () {
  this.timeout(30_000);
  let redis: RedisServerProcess;
  let client: RedisClient;

  before(async () => {
    redis = await RedisServerProcess.start();
    client = createClient({ url: redis.url }) as RedisClient;
    await client.connect();
  });

  after(async () => {
    await client.close();
    await redis.destroy();
  });

  it('moves the legacy tasks into the given keyPrefix once, and says what it did', async () => {
    const dueTime = Date.now() + 3_600_000;
    await legacyAddTask(client, 'mail', dueTime, 'a:b:c');
    await legacyAddRetry(client, 'mail', 'd:e', 2, dueTime);
    await client.sendCommand(['ZADD', LEGACY_KEY, String(dueTime), 'not a task']);

    const first = await migrateLegacy(['--url', redis.url, '--key-prefix', 'test:legacy:script']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /moved 2 task\(s\) from "SchedulerUtil.Tasks" on redis:\/\/127.0.0.1:\d+ into \{test:legacy:script\}/);
    assert.match(first.stdout, /left 1 member\(s\) that cannot be tasks here/);
    assert.match(first.stderr, /"not a task" left in "SchedulerUtil.Tasks"/);
    const keys = new KeySpace('test:legacy:script').forHandler('mail');
    assert.deepEqual((await client.zRange(keys.due, 0, -1)).sort(), ['a:b:c', 'd:e']);
    assert.equal(await client.hGet(keys.attempts, 'd:e'), '2');

    const second = await migrateLegacy(['--url', redis.url, '--key-prefix', 'test:legacy:script']);
    assert.match(second.stdout, /moved 0 task\(s\)/);
  });

  it('rejects a bad option or an unreachable Redis with a clear message, writing nothing', async () => {
    await legacyAddTask(client, 'mail', Date.now(), 'stays');
    const before = await client.keys('*');
    const unknown = await migrateLegacy(['--url', redis.url, '--keyprefix', 'x']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--keyprefix'/);
    const badPrefix = await migrateLegacy(['--url', redis.url, '--key-prefix', '{x}']);
    assert.equal(badPrefix.code, 2);
    assert.match(badPrefix.stderr, /"keyPrefix" must be/);
    assert.match((await migrateLegacy([])).stderr, /--url is required/);
    const down = await migrateLegacy(['--url', 'redis://user:s3cret@127.0.0.1:1']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /could not connect to redis:\/\/user:\*\*\*@127.0.0.1:1/);
    assert.doesNotMatch(down.stderr, /s3cret/);
    assert.deepEqual(await client.keys('*'), before);
    assert.deepEqual(await client.zRange(LEGACY_KEY, 0, -1), ['mail:stays', 'not a task']);
  });
});
