// The Lua scripts on their own, against a real redis-server: claims, leases, tokens, expiry, reclaim.
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { KeySpace } from '../src/engine/keys';
import { createRedisPort } from '../src/engine/redis/detect-client';
import { FailOutcome, Isolation, Scripts, type ClaimSettings } from '../src/engine/scripts';
import type { RedisClient } from './support/redis-client';

const keySpace = new KeySpace('test:lua');
const keys = keySpace.forHandler('job');
const settings: ClaimSettings = { leaseMs: 10_000, maxAttempts: 3, expiredError: 'lease expired (test)' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Lua scripts', function () {
  this.timeout(10_000);
  let client: RedisClient;
  let scripts: Scripts;

  /** Redis server time in ms: every due and lease decision is made against it. */
  async function redisNowMs(): Promise<number> {
    const [seconds, micros] = (await client.sendCommand(['TIME'])) as string[];
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  async function add(taskInfo: string, dueTimeMs: number): Promise<number> {
    return scripts.add(keys, 'job', [String(dueTimeMs), taskInfo]);
  }

  const score = async (key: string, member: string) => {
    const value = await client.zScore(key, member);
    return value === null ? null : Number(value);
  };

  before(async () => {
    client = createClient({ url: process.env.TEST_REDIS_URL }) as RedisClient;
    await client.connect();
    scripts = new Scripts(createRedisPort(client), keySpace);
  });

  beforeEach(async () => {
    for await (const page of client.scanIterator({ MATCH: 'test:lua:*', COUNT: 1000 })) {
      if (page.length > 0) await client.del(page.map(String));
    }
  });

  after(async () => {
    await client.close();
  });

  it('claim leases only tasks due by Redis time, once, under the caller token', async () => {
    const now = await redisNowMs();
    await add('due', now - 10);
    await add('future', now + 60_000);
    const first = await scripts.claim(keys, 10, 'token-A', 0, settings);
    assert.deepEqual(first.tasks.map((t) => t.taskInfo), ['due']);
    assert.equal(first.tasks[0].attempt, 1);
    assert.equal(first.tasks[0].dueTimeMs, now - 10);
    assert.equal(first.tasks[0].token, `token-A/1|${now - 10}`);
    assert.equal(await client.hGet(keys.claims, 'due'), first.tasks[0].token);
    const leaseExpiry = await score(keys.lease, 'due');
    assert.ok(leaseExpiry! >= now + settings.leaseMs - 5 && leaseExpiry! <= (await redisNowMs()) + settings.leaseMs + 5);
    assert.equal(await score(keys.due, 'due'), null);

    const second = await scripts.claim(keys, 10, 'token-B', 0, settings);
    assert.deepEqual(second.tasks, [], 'a leased task was claimed twice');
    assert.ok(second.nextDelayMs > 0 && second.nextDelayMs <= settings.leaseMs, `next delay ${second.nextDelayMs}`);
  });

  it('claim respects its limit and reports 0 ms when more are due', async () => {
    const now = await redisNowMs();
    for (let i = 0; i < 5; i++) await add(`t${i}`, now - 100 + i);
    const result = await scripts.claim(keys, 3, 'token', 0, settings);
    assert.deepEqual(result.tasks.map((t) => t.taskInfo), ['t0', 't1', 't2']);
    assert.equal(result.nextDelayMs, 0);
  });

  it('claim reports the delay to the next due task, or -1 when there is none', async () => {
    assert.equal((await scripts.claim(keys, 10, 'token', 0, settings)).nextDelayMs, -1);
    await add('later', (await redisNowMs()) + 5_000);
    const { nextDelayMs } = await scripts.claim(keys, 10, 'token', 0, settings);
    assert.ok(nextDelayMs > 4_000 && nextDelayMs <= 5_000, `next delay ${nextDelayMs}`);
  });

  it('add returns a wake-up delay (and publishes it) only when it makes the earliest task', async () => {
    const subscriber = client.duplicate();
    await subscriber.connect();
    const messages: string[] = [];
    await subscriber.subscribe(keySpace.wakeChannel('job'), (message: string) => messages.push(message));
    try {
      const now = await redisNowMs();
      const firstDelay = await add('a', now + 3_000);
      assert.ok(firstDelay > 2_000 && firstDelay <= 3_000);
      assert.equal(await add('b', now + 4_000), -1, 'a later task published a wake-up');
      assert.equal(await add('c', now - 1_000), 0);
      for (let i = 0; i < 50 && messages.length < 2; i++) await sleep(10);
      assert.deepEqual(messages, [`${firstDelay} job`, '0 job']);
    } finally {
      await subscriber.close();
    }
  });

  it('complete removes the task for the holder and refuses a wrong token without changing anything', async () => {
    await add('x', (await redisNowMs()) - 1);
    const [task] = (await scripts.claim(keys, 1, 'right', 0, settings)).tasks;
    const refused = await scripts.complete(keys, 'job', [{ taskInfo: 'x', token: 'wrong' }]);
    assert.deepEqual(refused, [{ taskInfo: 'x', token: 'wrong' }]);
    assert.notEqual(await score(keys.lease, 'x'), null);
    assert.deepEqual(await scripts.complete(keys, 'job', [task]), []);
    assert.equal(await score(keys.lease, 'x'), null);
    assert.equal(await client.hGet(keys.claims, 'x'), null);
  });

  it('renew extends a live lease for its holder and reports a lost one', async () => {
    await add('r', (await redisNowMs()) - 1);
    const [task] = (await scripts.claim(keys, 1, 'holder', 0, { ...settings, leaseMs: 1_000 })).tasks;
    const before = (await score(keys.lease, 'r'))!;
    const { lost } = await scripts.renew(keys, 20_000, [task, { taskInfo: 'r', token: 'stale' }]);
    assert.deepEqual(lost, [{ taskInfo: 'r', token: 'stale' }]);
    assert.ok((await score(keys.lease, 'r'))! > before + 15_000);
  });

  it('an expired lease is reclaimed with a new token and counts an attempt; the old holder is refused', async () => {
    const dueTimeMs = (await redisNowMs()) - 1;
    await add('crash', dueTimeMs);
    await add('later', dueTimeMs + 50);
    const [stale] = (await scripts.claim(keys, 1, 'dead-node', 0, { ...settings, leaseMs: 100 })).tasks;
    await sleep(150);
    const reclaimed = await scripts.claim(keys, 1, 'live-node', 0, settings);
    // back under its original due time, so it goes before tasks that became due after it
    assert.deepEqual(reclaimed.tasks.map((t) => [t.taskInfo, t.attempt, t.dueTimeMs]), [['crash', 2, dueTimeMs]]);
    const [live] = reclaimed.tasks;
    assert.equal(await client.hGet(keys.claims, 'crash'), live.token);

    assert.deepEqual(await scripts.complete(keys, 'job', [stale]), [stale]);
    assert.equal(await scripts.fail(keys, 'job', stale, 'late', 3, 0), FailOutcome.NotHolder);
    assert.deepEqual((await scripts.renew(keys, 1_000, [stale])).lost, [stale]);
    assert.equal(await client.hGet(keys.claims, 'crash'), live.token, 'the late holder changed the live claim');
    assert.deepEqual(await scripts.complete(keys, 'job', [live]), []);
  });

  it('a lease that expires on the last attempt sends the task to the dead set with the reason', async () => {
    await add('poison', (await redisNowMs()) - 1);
    for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
      await sleep(attempt === 1 ? 0 : 60);
      const { tasks } = await scripts.claim(keys, 1, `node-${attempt}`, 0, { ...settings, leaseMs: 50 });
      assert.deepEqual(tasks.map((t) => t.attempt), [attempt]);
    }
    await sleep(60);
    assert.deepEqual((await scripts.claim(keys, 1, 'next', 0, settings)).tasks, []);
    assert.notEqual(await score(keys.dead, 'poison'), null);
    const info = JSON.parse(String(await client.hGet(keys.deadInfo, 'poison')));
    assert.equal(info.error, settings.expiredError);
    assert.equal(info.attempts, settings.maxAttempts);
    assert.ok(Number.isInteger(info.diedAtMs), `diedAtMs ${info.diedAtMs} is fractional`);
    assert.equal(await score(keys.due, 'poison'), null);
    assert.equal(await score(keys.lease, 'poison'), null);
  });

  it('a task whose lease expired is a suspect: only an idle caller gets it, alone, until it ends', async () => {
    const now = await redisNowMs();
    await add('crasher', now - 20);
    await add('bystander', now - 10);
    await scripts.claim(keys, 2, 'crashed-node', 0, { ...settings, leaseMs: 50 });
    await sleep(80);
    await add('newcomer', (await redisNowMs()) - 1);

    const busy = await scripts.claim(keys, 10, 'busy-node', 3, settings);
    assert.deepEqual(busy.tasks.map((t) => t.taskInfo), ['newcomer'], 'a busy node skips the suspects and takes the rest');
    assert.equal(busy.isolation, Isolation.LeftForIdle);
    await scripts.complete(keys, 'job', busy.tasks);

    const idle = await scripts.claim(keys, 10, 'idle-node', 0, settings);
    assert.deepEqual(idle.tasks.map((t) => [t.taskInfo, t.attempt]), [['crasher', 2]]);
    assert.equal(idle.isolation, Isolation.RunAlone);

    const [bystander] = (await scripts.claim(keys, 10, 'other-idle-node', 0, settings)).tasks;
    assert.equal(bystander.taskInfo, 'bystander');
    assert.deepEqual(await scripts.complete(keys, 'job', [bystander]), []);
    assert.equal(await client.sIsMember(keys.suspects, 'bystander'), 0, 'success clears the suspicion');

    assert.equal(await scripts.fail(keys, 'job', idle.tasks[0], 'handler error', 3, 60_000), FailOutcome.Retry);
    assert.equal(await client.sIsMember(keys.suspects, 'crasher'), 0, 'a handler failure is not a crash');
    await add('late', (await redisNowMs()) - 1);
    const after = await scripts.claim(keys, 10, 'busy-node', 3, settings);
    assert.deepEqual(after.tasks.map((t) => t.taskInfo), ['late']);
    assert.equal(after.isolation, Isolation.None);
  });

  it('releaseClaim hands back what a claim leased when its reply was lost, without using an attempt', async () => {
    const dueTimeMs = (await redisNowMs()) - 5;
    await add('lost', dueTimeMs);
    await add('kept', dueTimeMs + 1);
    await scripts.claim(keys, 1, 'lost-reply', 0, settings);
    const [kept] = (await scripts.claim(keys, 1, 'received', 0, settings)).tasks;
    assert.equal(await scripts.releaseClaim(keys, 'job', 'lost-reply'), 1);
    assert.equal(await score(keys.due, 'lost'), dueTimeMs);
    assert.equal(await score(keys.lease, 'lost'), null);
    assert.equal(await client.hGet(keys.claims, 'kept'), kept.token, 'another claim was released');
    assert.equal((await scripts.claim(keys, 1, 'again', 0, settings)).tasks[0].attempt, 1);
  });

  it('fail schedules a retry after the delay by Redis time, then the dead set after the last attempt', async () => {
    await add('f', (await redisNowMs()) - 1);
    const [first] = (await scripts.claim(keys, 1, 't1', 0, settings)).tasks;
    const beforeFail = await redisNowMs();
    assert.equal(await scripts.fail(keys, 'job', first, 'err 1', 3, 5_000), FailOutcome.Retry);
    const retryAt = (await score(keys.due, 'f'))!;
    assert.ok(retryAt >= beforeFail + 5_000 - 1 && retryAt <= (await redisNowMs()) + 5_000, `retry at ${retryAt}`);
    assert.equal(await client.hGet(keys.attempts, 'f'), '1');
    assert.deepEqual((await scripts.claim(keys, 1, 'early', 0, settings)).tasks, [], 'a retry was claimed before its delay');

    await client.zAdd(keys.due, { score: 0, value: 'f' });
    const [second] = (await scripts.claim(keys, 1, 't2', 0, settings)).tasks;
    assert.equal(second.attempt, 2);
    assert.equal(await scripts.fail(keys, 'job', second, 'err 2', 3, 0), FailOutcome.Retry);
    const [third] = (await scripts.claim(keys, 1, 't3', 0, settings)).tasks;
    assert.equal(third.attempt, 3);
    assert.equal(await scripts.fail(keys, 'job', third, 'err 3', 3, 0), FailOutcome.Dead);
    const info = JSON.parse(String(await client.hGet(keys.deadInfo, 'f')));
    assert.deepEqual([info.error, info.attempts], ['err 3', 3]);
    assert.equal(await client.hGet(keys.attempts, 'f'), null);
  });

  it('release hands a task back under its due time without using an attempt, for the holder only', async () => {
    const dueTimeMs = (await redisNowMs()) - 1;
    await add('h', dueTimeMs);
    const [task] = (await scripts.claim(keys, 1, 'holder', 0, settings)).tasks;
    assert.equal(await scripts.release(keys, 'job', [{ taskInfo: 'h', token: 'other', dueTimeMs }]), 0);
    assert.equal(await scripts.release(keys, 'job', [task]), 1);
    assert.equal(await score(keys.due, 'h'), dueTimeMs);
    assert.equal(await score(keys.lease, 'h'), null);
    assert.equal((await scripts.claim(keys, 1, 'again', 0, settings)).tasks[0].attempt, 1);
  });

  it('remove cancels a due, a retrying and a running task; the runner can no longer retry it', async () => {
    const now = await redisNowMs();
    await add('due', now + 10_000);
    assert.equal(await scripts.remove(keys, 'job', 'due'), true);
    assert.equal(await scripts.remove(keys, 'job', 'due'), false);

    await add('running', now - 1);
    const [task] = (await scripts.claim(keys, 1, 'runner', 0, settings)).tasks;
    assert.equal(await scripts.remove(keys, 'job', 'running'), true);
    assert.notEqual(await score(keys.lease, 'running'), null, 'the removed run keeps its lease until it ends');
    assert.deepEqual(await scripts.renew(keys, 10_000, [task]), { lost: [], cancelled: [task] });
    assert.equal(await scripts.fail(keys, 'job', task, 'err', 3, 0), FailOutcome.Detached);
    assert.equal(await score(keys.due, 'running'), null);
    assert.equal(await score(keys.lease, 'running'), null);
    assert.equal(await client.hGet(keys.claims, 'running'), null);
  });

  it('a task re-added while it runs waits for the running lease instead of running twice at once', async () => {
    await add('again', (await redisNowMs()) - 1);
    const [task] = (await scripts.claim(keys, 1, 'first', 0, { ...settings, leaseMs: 300 })).tasks;
    const readdedAt = (await redisNowMs()) - 1;
    await add('again', readdedAt);
    assert.deepEqual((await scripts.claim(keys, 1, 'second', 0, settings)).tasks, []);
    assert.deepEqual(await scripts.complete(keys, 'job', [task]), []);
    const [next] = (await scripts.claim(keys, 1, 'second', 0, settings)).tasks;
    assert.deepEqual([next.taskInfo, next.dueTimeMs, next.attempt], ['again', readdedAt, 1], 'runs once the first run ends, under its own due time');
  });

  it('a run superseded by a re-add: its lease expiry on the last attempt neither charges the new life nor leaves a dead entry', async () => {
    const last = { ...settings, maxAttempts: 1, leaseMs: 50 };
    await add('expiring', (await redisNowMs()) - 1);
    await scripts.claim(keys, 1, 'crashing-node', 0, last);
    const readdedAt = (await redisNowMs()) - 1;
    await add('expiring', readdedAt);
    await sleep(80);
    const [next] = (await scripts.claim(keys, 1, 'next', 0, last)).tasks;
    assert.deepEqual([next.taskInfo, next.attempt, next.dueTimeMs], ['expiring', 1, readdedAt]);
    assert.equal(await client.zCard(keys.dead), 0);
    assert.equal(await client.sIsMember(keys.suspects, 'expiring'), 0, 'the new life is no suspect');
  });

  it('stats count each task once: an expired lease as scheduled, a task re-added while it runs once, a removed run not at all', async () => {
    const now = await redisNowMs();
    for (const taskInfo of ['expired', 'readded', 'removed', 'live']) await add(taskInfo, now - 1);
    await scripts.claim(keys, 1, 'crashed', 0, { ...settings, leaseMs: 30 });
    await scripts.claim(keys, 3, 'alive', 0, settings);
    await add('readded', now + 60_000);
    await scripts.remove(keys, 'job', 'removed');
    await sleep(50);
    const { oldestOverdueMs, ...counts } = await scripts.stats(keys);
    // overdue: the expired lease only (the re-added task waits an hour); no retry, no pause
    assert.deepEqual(counts, { scheduled: 2, running: 1, dead: 0, overdue: 1, retrying: 0, nextDueMs: now + 60_000, pausedAtMs: -1, recurring: 0, coalescedTicks: 0 });
    assert.ok(oldestOverdueMs >= 50 && oldestOverdueMs < 10_000, `oldestOverdueMs ${oldestOverdueMs}`);
  });

  it('a hand-back, a lost-claim hand-back, a retry and the end of a superseded run publish a wake-up', async () => {
    const subscriber = client.duplicate();
    await subscriber.connect();
    const messages: string[] = [];
    await subscriber.subscribe(keySpace.wakeChannel('job'), (message) => messages.push(message));
    const expect = async (message: string) => {
      for (let i = 0; i < 50 && !messages.includes(message); i++) await sleep(10);
      assert.ok(messages.includes(message), `no "${message}" in ${JSON.stringify(messages)}`);
      messages.length = 0;
    };
    try {
      const now = await redisNowMs();
      await add('w', now - 1);
      messages.length = 0;
      const [held] = (await scripts.claim(keys, 1, 'h1', 0, settings)).tasks;
      assert.equal(await scripts.release(keys, 'job', [held]), 1);
      await expect('0 job');
      await scripts.claim(keys, 1, 'lost', 0, settings);
      assert.equal(await scripts.releaseClaim(keys, 'job', 'lost'), 1);
      await expect('0 job');
      const [failing] = (await scripts.claim(keys, 1, 'h2', 0, settings)).tasks;
      assert.equal(await scripts.fail(keys, 'job', failing, 'err', 3, 0), FailOutcome.Retry);
      await expect('0 job');
      const [superseded] = (await scripts.claim(keys, 1, 'h3', 0, settings)).tasks;
      await add('w', now - 1);
      messages.length = 0;
      assert.deepEqual(await scripts.complete(keys, 'job', [superseded]), []);
      await expect('0 job');
    } finally {
      await subscriber.close();
    }
  });

  it('a script refused PUBLISH by ACL writes nothing: add, remove, fail, release', async () => {
    const user = `nopublish-${process.pid}`;
    await client.sendCommand(['ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-publish']);
    const limited = createClient({ url: process.env.TEST_REDIS_URL, username: user, password: 'pw' }) as RedisClient;
    await limited.connect();
    try {
      const denied = new Scripts(createRedisPort(limited), keySpace);
      const now = await redisNowMs();
      await assert.rejects(denied.add(keys, 'job', [String(now - 1), 'a']));
      assert.equal(await client.exists([keys.due]), 0, 'add wrote before its PUBLISH was refused');

      await add('r', now - 1);
      const [running] = (await scripts.claim(keys, 1, 'holder', 0, settings)).tasks;
      await assert.rejects(denied.remove(keys, 'job', 'r'));
      assert.equal(await client.hGet(keys.claims, 'r'), running.token, 'remove marked the claim before its PUBLISH was refused');
      await assert.rejects(denied.fail(keys, 'job', running, 'err', 3, 0));
      assert.equal(await client.hGet(keys.claims, 'r'), running.token, 'fail wrote before its PUBLISH was refused');
      await assert.rejects(denied.release(keys, 'job', [running]));
      assert.equal(await client.hGet(keys.claims, 'r'), running.token, 'release wrote before its PUBLISH was refused');
    } finally {
      await limited.close();
      await client.sendCommand(['ACL', 'DELUSER', user]);
    }
  });

  it('tasks claimed together under the same due time have distinct claims: removing one cancels only it', async () => {
    const dueTimeMs = (await redisNowMs()) - 1;
    await scripts.add(keys, 'job', [String(dueTimeMs), 'kept', String(dueTimeMs), 'removed']);
    const { tasks } = await scripts.claim(keys, 2, 'together', 0, settings);
    assert.equal(new Set(tasks.map((t) => t.token)).size, 2, 'two tasks of one claim share a claim token');
    assert.equal(await scripts.remove(keys, 'job', 'removed'), true);
    const renewed = await scripts.renew(keys, 10_000, tasks);
    assert.deepEqual(renewed.cancelled.map((t) => t.taskInfo), ['removed']);
    assert.deepEqual(await scripts.complete(keys, 'job', tasks), []);
    assert.equal(await client.exists([keys.lease, keys.claims, keys.due]), 0);
  });
});
