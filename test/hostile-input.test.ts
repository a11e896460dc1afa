// Names and taskInfos written to break out of a key, a hash tag, a glob, the RESP protocol or a Lua
// string: every pair round-trips exactly, as a user holding only the documented ACL rule, and a scan
// of the whole server finds nothing outside the prefix (and the FLUSHALLs they carry never ran).
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { aclRuleFor } from '../src/engine/acl-rule';
import { RedisScheduler } from '../src/engine/scheduler';
import type { RedisClient } from './support/redis-client';
import { eventually } from './support/nodes';
import { RedisServerProcess } from './support/redis-server';

const PREFIX = 'test:hostile';

const NAMES = [
  '{braces}',
  '}{',
  '*',
  'a?[b-z]\\',
  'name\r\nFLUSHALL\r\n',
  '*1\r\n$8\r\nFLUSHALL\r\n',
  'nul\0byte',
  "x') redis.call('FLUSHALL') --",
  ']]..redis.call("FLUSHALL")..[[',
];

const TASK_INFOS = [
  '',
  '{',
  '}',
  '{other:prefix}:due:x',
  '*',
  '?',
  '[a-z]',
  '\\',
  '\r\nFLUSHALL\r\n',
  '\nFLUSHALL\n',
  '*1\r\n$8\r\nFLUSHALL\r\n',
  '$-1\r\n',
  '-ERR fake\r\n',
  ':1\r\n',
  '\0',
  'a\0b\0c',
  "'); redis.call('FLUSHALL'); --",
  ']]..redis.call("FLUSHALL")..[[',
  '" .. redis.call("FLUSHALL") .. "',
  '%s%d%n',
  'ünï©ødé 🚀',
];

const SENTINEL = 'outside:the:prefix';

describe('hostile names and taskInfos, as the least-privilege ACL user', function () {
  this.timeout(60_000);
  let redis: RedisServerProcess;
  let admin: RedisClient;
  let client: RedisClient;
  let scheduler: RedisScheduler;

  before(async () => {
    redis = await RedisServerProcess.start(['--acl-pubsub-default', 'resetchannels']);
    admin = createClient({ url: redis.url }) as RedisClient;
    await admin.connect();
    await admin.sendCommand(['ACL', 'SETUSER', 'scheduler', 'reset', 'on', '>pw', ...aclRuleFor(PREFIX).split(' ')]);
    await admin.set(SENTINEL, 'still here');
    client = createClient({ url: redis.url, username: 'scheduler', password: 'pw' }) as RedisClient;
    await client.connect();
  });

  after(async () => {
    await scheduler?.stop();
    await client?.close();
    await admin?.close();
    await redis?.destroy();
  });

  /** Scans the whole server: keys of the prefix (single-tag `{prefix}:…` or per-name `prefix:{name}:…` layout) are counted, others listed. */
  async function keysOutsidePrefix(): Promise<{ inside: number; outside: string[] }> {
    const result = { inside: 0, outside: [] as string[] };
    for await (const page of admin.scanIterator({ MATCH: '*', COUNT: 1000 })) {
      for (const found of page.map(String)) {
        if (found.startsWith(`{${PREFIX}}:`) || found.startsWith(`${PREFIX}:{`)) result.inside++;
        else result.outside.push(found);
      }
    }
    return result;
  }

  it(`${NAMES.length} names × ${TASK_INFOS.length} taskInfos round-trip exactly and write nothing outside the prefix`, async () => {
    scheduler = new RedisScheduler(client, { keyPrefix: PREFIX, concurrency: 32, safetyPollMs: 500 });
    const ran: Array<[string, string]> = [];
    for (const name of NAMES) scheduler.setHandler(name, (taskInfo) => void ran.push([name, taskInfo]));
    const expected = NAMES.flatMap((name) => TASK_INFOS.map((taskInfo): [string, string] => [name, taskInfo]));
    // half scheduled then removed, to take every path (add, remove) with the same inputs
    await scheduler.addTasks(expected.map(([name, taskInfo]) => ({ name, dueTimeMs: Date.now() + 60_000, taskInfo })));
    for (const [name, taskInfo] of expected) assert.equal(await scheduler.removeTask(name, taskInfo), true, `${JSON.stringify([name, taskInfo])} was not found`);
    await scheduler.addTasks(expected.map(([name, taskInfo]) => ({ name, dueTimeMs: Date.now(), taskInfo })));
    const scheduled = await keysOutsidePrefix();
    assert.deepEqual(scheduled.outside, [SENTINEL]);
    assert.ok(scheduled.inside >= NAMES.length, `${scheduled.inside} keys for ${NAMES.length} names`);
    await scheduler.start();
    await eventually(() => ran.length >= expected.length, 30_000, `${expected.length} runs`);
    await new Promise((resolve) => setTimeout(resolve, 500)); // room for a duplicate to show up

    const key = ([name, taskInfo]: [string, string]) => JSON.stringify([name, taskInfo]);
    assert.deepEqual(ran.map(key).sort(), expected.map(key).sort());

    assert.equal(await admin.get(SENTINEL), 'still here', 'a FLUSHALL ran');
    assert.deepEqual((await keysOutsidePrefix()).outside, [SENTINEL]);
    assert.deepEqual(await admin.sendCommand(['ACL', 'LOG']), [], 'the documented rule refused a command');
  });
});
