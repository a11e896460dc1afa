// One permission missing from the documented ACL rule: the call fails with an error naming the script
// and pointing to ACL LOG and the rule, and nothing is written. Real redis-server, real ACL users.
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { aclRuleFor } from '../src/engine/acl-rule';
import { KeySpace } from '../src/engine/keys';
import { RedisScheduler, type SchedulerLogger } from '../src/engine/scheduler';
import type { RedisClient } from './support/redis-client';
import { eventually } from './support/nodes';
import { RedisServerProcess } from './support/redis-server';

const PREFIX = 'test:acl-denials';

/** Every key on the server, read by the admin. */
async function allKeys(admin: RedisClient): Promise<string[]> {
  const found: string[] = [];
  for await (const page of admin.scanIterator({ MATCH: '*', COUNT: 1000 })) found.push(...page.map(String));
  return found.sort();
}

function capturingLogger(lines: string[]): SchedulerLogger {
  const keep = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  return { error: keep, warn: keep, info: () => undefined, debug: () => undefined };
}

describe('ACL: one permission missing from the documented rule', function () {
  this.timeout(30_000);
  let redis: RedisServerProcess;
  let admin: RedisClient;
  const opened: RedisClient[] = [];

  /** A client of a fresh user holding exactly these ACL rule tokens. */
  async function clientWith(rule: string[]): Promise<RedisClient> {
    const user = `user-${opened.length}`;
    await admin.sendCommand(['ACL', 'SETUSER', user, 'reset', 'on', '>pw', ...rule]);
    const client = createClient({ url: redis.url, username: user, password: 'pw' }) as RedisClient;
    client.on('error', () => undefined);
    await client.connect();
    opened.push(client);
    return client;
  }

  /** A client of a user holding the documented rule without `missing` (one token of it). */
  function clientWithout(missing: string): Promise<RedisClient> {
    const rule = aclRuleFor(PREFIX).split(' ');
    assert.ok(rule.includes(missing), `"${missing}" is not part of the rule`);
    return clientWith(rule.filter((token) => token !== missing));
  }

  before(async () => {
    redis = await RedisServerProcess.start(['--acl-pubsub-default', 'resetchannels']);
    admin = createClient({ url: redis.url }) as RedisClient;
    await admin.connect();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((client) => client.close()));
    await admin.sendCommand(['FLUSHDB']); // this test's own private server
    await admin.sendCommand(['ACL', 'LOG', 'RESET']);
  });

  after(async () => {
    await admin?.close();
    await redis?.destroy();
  });

  // the wake-up channels (forgotten `&` on Redis 7), PUBLISH, TIME, EVALSHA, and the task keys
  const rule = aclRuleFor(PREFIX).split(' ');
  const refusable = [...rule.filter((token) => token.startsWith('&')), '+publish', '+time', '+evalsha', `~${PREFIX}:{*`];
  for (const missing of refusable) {
    it(`without ${missing}: addTask rejects naming add.lua, ACL LOG and the rule, and writes no task`, async () => {
      const scheduler = new RedisScheduler(await clientWithout(missing), { keyPrefix: PREFIX, allowUnknownHandlers: true });
      const err = await scheduler.addTask('report', Date.now(), 'monthly').then(
        () => assert.fail('addTask succeeded without a permission the rule names'),
        (e: Error) => e,
      );
      assert.equal(err.name, 'ScriptError');
      // Without EVALSHA the first script refused is the bucket-count read that precedes the first write.
      const script = missing === '+evalsha' ? /^redis_scheduler: Redis ACL refused a command of bucket-count\.lua: / : /^redis_scheduler: Redis ACL refused a command of add\.lua: /;
      assert.match(err.message, script);
      assert.ok(err.message.includes(`Run ACL LOG on the server`), err.message);
      assert.ok(err.message.includes(`the rule "${aclRuleFor('<keyPrefix>')}" (docs/security.md)`), err.message);
      // The names registry is written apart, before the script (issue 8: it lives in its own slot); no task key is.
      assert.deepEqual((await allKeys(admin)).filter((key) => key !== new KeySpace(PREFIX).names && key !== new KeySpace(PREFIX).bucketsKey), [], 'a refused add wrote task keys');
      assert.ok(((await admin.sendCommand(['ACL', 'LOG'])) as unknown[]).length > 0, 'ACL LOG has no entry for the refusal');
    });
  }

  it('the whole rule: the same add succeeds (the control of the cases above)', async () => {
    const client = await clientWith(aclRuleFor(PREFIX).split(' '));
    const scheduler = new RedisScheduler(client, { keyPrefix: PREFIX, allowUnknownHandlers: true });
    await scheduler.addTask('report', Date.now(), 'monthly');
    assert.ok((await allKeys(admin)).length > 0);
    assert.deepEqual(await admin.sendCommand(['ACL', 'LOG']), []);
  });

  it('without +publish: a failed run cannot be recorded; the error names fail.lua and the hint, and the task keeps its lease untouched', async () => {
    // the task is added by the admin, run by a node whose user may not publish
    await new RedisScheduler(admin, { keyPrefix: PREFIX, allowUnknownHandlers: true }).addTask('flaky', Date.now(), 'job');
    const before = await allKeys(admin);
    const lines: string[] = [];
    const node = new RedisScheduler(await clientWithout('+publish'), { keyPrefix: PREFIX, leaseMs: 60_000, safetyPollMs: 500 }, capturingLogger(lines));
    let runs = 0;
    node.setHandler('flaky', () => {
      runs++;
      throw new Error('handler failed');
    });
    await node.start();
    try {
      await eventually(() => lines.some((line) => line.includes('fail.lua')), 10_000, 'the refused fail.lua to be logged');
      const line = lines.find((l) => l.includes('fail.lua'))!;
      assert.match(line, /Redis ACL refused a command of fail\.lua: .*Run ACL LOG on the server/);
      assert.equal(runs, 1);
      const keys = new KeySpace(PREFIX).forHandler('flaky');
      assert.deepEqual(Object.keys(await admin.hGetAll(keys.claims)), ['job'], 'the lease was not kept');
      assert.equal(await admin.exists([keys.attempts, keys.dead, keys.deadInfo]), 0, 'fail.lua wrote before its PUBLISH was refused');
      assert.deepEqual((await allKeys(admin)).filter((k) => !before.includes(k)), [keys.claims, keys.lease].sort());
    } finally {
      await node.stop();
    }
  });
});
