// The recurring hooks of the Lua scripts against the claim marks (see claim.lua): a tick cancelled by
// removeTask ends the recurrence, a tick superseded by a re-add advances once, not twice.
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { KeySpace } from '../src/engine/keys';
import { createRedisPort } from '../src/engine/redis/detect-client';
import { RecurringScripts } from '../src/engine/recurring-scripts';
import { FailOutcome, Scripts, type ClaimSettings } from '../src/engine/scripts';
import type { RedisClient } from './support/redis-client';

const keySpace = new KeySpace('test:recurring-lua');
const keys = keySpace.forHandler('job');
const settings: ClaimSettings = { leaseMs: 10_000, maxAttempts: 3, expiredError: 'lease expired (test)' };
const RECORD = '{"spec":{"everyMs":60000}}';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('recurring hooks of the Lua scripts', function () {
  this.timeout(10_000);
  let client: RedisClient;
  let scripts: Scripts;
  let recurring: RecurringScripts;

  const ticksOf = async (taskInfo: string) => String((await client.hGet(keys.ticks, taskInfo)) ?? '');
  const toAdvance = async () => Array.from(await client.sMembers(keys.advance), String).sort();

  async function redisNowMs(): Promise<number> {
    const [seconds, micros] = (await client.sendCommand(['TIME'])) as string[];
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** Registers the schedule of `taskInfo` with its first tick due now, and claims that tick. */
  async function runningTick(taskInfo: string, claimSettings = settings) {
    assert.equal((await recurring.upsert(keys, 'job', taskInfo, '', RECORD, (await redisNowMs()) - 1)).written, true);
    const [task] = (await scripts.claim(keys, 1, 'tick', 0, claimSettings)).tasks;
    assert.equal(task.taskInfo, taskInfo);
    assert.match(await ticksOf(taskInfo), /^\d+$/, 'the tick started at its claim');
    return task;
  }

  before(async () => {
    client = createClient({ url: process.env.TEST_REDIS_URL }) as RedisClient;
    await client.connect();
    const port = createRedisPort(client);
    scripts = new Scripts(port, keySpace);
    recurring = new RecurringScripts(port, keySpace);
  });

  beforeEach(async () => {
    for await (const page of client.scanIterator({ MATCH: 'test:recurring-lua:*', COUNT: 1000 })) {
      if (page.length > 0) await client.del(page.map(String));
    }
  });

  after(async () => {
    await client.close();
  });

  it('the end of a current tick, succeeded or dead, waits in advance with its outcome', async () => {
    const done = await runningTick('done');
    assert.deepEqual(await scripts.complete(keys, 'job', [done]), []);
    assert.match(await ticksOf('done'), /^\d+\|succeeded$/);

    const dying = await runningTick('dying', { ...settings, maxAttempts: 1 });
    assert.equal(await scripts.fail(keys, 'job', dying, 'boom', 1, 0), FailOutcome.Dead);
    assert.match(await ticksOf('dying'), /^\d+\|dead$/);
    assert.deepEqual(await toAdvance(), ['done', 'dying']);
  });

  it('a tick cancelled by removeTask ends the recurrence: its end, success or failure, advances nothing', async () => {
    const succeeding = await runningTick('succeeding');
    assert.equal(await scripts.remove(keys, 'job', 'succeeding'), true);
    assert.equal(await client.hExists(keys.recurring, 'succeeding'), 0, 'the schedule is gone at once');
    assert.deepEqual(await scripts.complete(keys, 'job', [succeeding]), []);

    const failing = await runningTick('failing');
    assert.equal(await scripts.remove(keys, 'job', 'failing'), true);
    assert.equal(await scripts.fail(keys, 'job', failing, 'boom', 1, 0), FailOutcome.Detached);

    assert.deepEqual(await toAdvance(), []);
    assert.equal(await client.hLen(keys.ticks), 0);
    assert.equal(await client.zCard(keys.due), 0);
    assert.equal(await client.zCard(keys.lease), 0);
  });

  it('a tick superseded by a re-add advances once: the superseded run frees its lease, the new run ends the tick', async () => {
    const first = await runningTick('again');
    const readdedAt = (await redisNowMs()) - 1;
    await scripts.add(keys, 'job', [String(readdedAt), 'again']);
    assert.deepEqual(await scripts.complete(keys, 'job', [first]), []);
    assert.deepEqual(await toAdvance(), [], 'the superseded run advanced the schedule');

    const [second] = (await scripts.claim(keys, 1, 'next', 0, settings)).tasks;
    assert.deepEqual([second.taskInfo, second.dueTimeMs, second.attempt], ['again', readdedAt, 1]);
    assert.deepEqual(await scripts.complete(keys, 'job', [second]), []);
    assert.deepEqual(await toAdvance(), ['again']);
  });

  it("a superseded tick's failure or lease expiry on its last attempt neither advances nor ends the new run in the dead set", async () => {
    const failing = await runningTick('failing', { ...settings, maxAttempts: 1 });
    await scripts.add(keys, 'job', [String((await redisNowMs()) + 60_000), 'failing']);
    assert.equal(await scripts.fail(keys, 'job', failing, 'boom', 1, 0), FailOutcome.Detached);

    await runningTick('expiring', { ...settings, maxAttempts: 1, leaseMs: 50 });
    await scripts.add(keys, 'job', [String((await redisNowMs()) + 60_000), 'expiring']);
    await sleep(80);
    await scripts.claim(keys, 1, 'reclaimer', 0, { ...settings, maxAttempts: 1 });

    assert.deepEqual(await toAdvance(), []);
    assert.equal(await client.zCard(keys.dead), 0);
    assert.deepEqual(Array.from(await client.zRange(keys.due, 0, -1), String).sort(), ['expiring', 'failing'], 'the re-adds still wait');
  });

  it('a schedule added again while its cancelled tick still runs queues its first tick behind that run', async () => {
    const cancelled = await runningTick('back');
    await scripts.remove(keys, 'job', 'back');
    const upsert = await recurring.upsert(keys, 'job', 'back', '', RECORD, (await redisNowMs()) - 1);
    assert.deepEqual(upsert, { written: true, delayMs: -1 }, 'no wake-up while the cancelled run holds the lease');
    assert.deepEqual((await scripts.claim(keys, 1, 'other', 0, settings)).tasks, [], 'ran beside the cancelled run');

    assert.deepEqual(await scripts.complete(keys, 'job', [cancelled]), []);
    assert.deepEqual(await toAdvance(), []);
    const [first] = (await scripts.claim(keys, 1, 'other', 0, settings)).tasks;
    assert.deepEqual([first.taskInfo, first.attempt], ['back', 1]);
  });

  it('a schedule replaced while its current tick runs leaves that run alone: its end advances from the new schedule', async () => {
    const running = await runningTick('replaced');
    const replaced = await recurring.upsert(keys, 'job', 'replaced', RECORD, '{"spec":{"everyMs":1000}}', (await redisNowMs()) + 1_000);
    assert.equal(replaced.written, true);
    assert.equal(await client.zCard(keys.due), 0, 'a second tick was queued beside the running one');
    assert.deepEqual(await scripts.complete(keys, 'job', [running]), []);
    assert.deepEqual(await toAdvance(), ['replaced']);
  });
});
