// Recurring tasks on one engine (plain node-redis client) against the test redis-server.
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { KeySpace } from '../src/engine/keys';
import { RedisScheduler, type TaskContext } from '../src/engine/scheduler';
import type { RedisClient } from './support/redis-client';
import { eventually } from './support/nodes';
import { scanKeys } from './support/scan-keys';

interface Run {
  taskInfo: string;
  attempt: number;
  dueTimeMs: number;
}

describe('recurring tasks (one engine)', function () {
  this.timeout(30_000);
  let client: RedisClient;
  const schedulers: RedisScheduler[] = [];
  const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

  function scheduler(keyPrefix: string, options: object = {}): RedisScheduler {
    const created = new RedisScheduler(client, { keyPrefix, safetyPollMs: 1_000, ...options }, quiet);
    schedulers.push(created);
    return created;
  }

  before(async () => {
    client = createClient({ url: process.env.TEST_REDIS_URL }) as RedisClient;
    await client.connect();
  });

  after(async () => {
    await Promise.all(schedulers.map((s) => s.stop()));
    await client.close();
  });

  it('runs each tick once, on the everyMs grid, and lists and counts the schedule', async () => {
    const node = scheduler('test:recurring:grid');
    const runs: Run[] = [];
    node.setHandler('tick', (taskInfo: string, context: TaskContext) => {
      runs.push({ taskInfo, attempt: context.attempt, dueTimeMs: context.dueTimeMs });
    });
    await node.start();
    assert.equal(await node.addRecurringTask('tick', { everyMs: 400 }, 'a'), true);
    assert.equal(await node.addRecurringTask('tick', { everyMs: 400 }, 'a'), false);
    await eventually(() => runs.length >= 5, 10_000, '5 ticks');
    await node.stop();

    const dues = runs.map((r) => r.dueTimeMs);
    assert.equal(new Set(dues).size, dues.length, 'a tick ran twice');
    for (let i = 1; i < dues.length; i++) assert.equal(dues[i] - dues[i - 1], 400, `ticks ${dues.join(', ')}`);
    assert.ok(runs.every((r) => r.taskInfo === 'a' && r.attempt === 1));

    const [listed] = await node.getRecurringTasks('tick');
    assert.deepEqual(listed.schedule, { everyMs: 400 });
    assert.equal(listed.taskInfo, 'a');
    assert.equal(listed.lastOutcome, 'succeeded');
    assert.ok(listed.lastRunMs! >= dues[dues.length - 2], 'lastRunMs is the start of a late tick');
    assert.ok(listed.nextDueMs === null || (listed.nextDueMs - dues[0]) % 400 === 0, `next tick ${listed.nextDueMs} off the grid`);
    assert.deepEqual(await node.getRecurringTasks(), [listed]);
    const [stats] = await node.getStats();
    assert.equal(stats.recurring, 1);
    assert.equal(stats.coalescedTicks, 0);
  });

  it('the same schedule again changes nothing; another one replaces it and recomputes the next tick', async () => {
    const keyPrefix = 'test:recurring:upsert';
    const producer = scheduler(keyPrefix, { allowUnknownHandlers: true });
    const keys = new KeySpace(keyPrefix).forHandler('report');
    const startAtMs = Date.now() + 3_600_000;
    const snapshot = async () => ({ record: await client.hGet(keys.recurring, 'daily'), due: await client.zScore(keys.due, 'daily') });

    assert.equal(await producer.addRecurringTask('report', { everyMs: 60_000, startAtMs }, 'daily'), true);
    const first = await snapshot();
    assert.equal(first.due, startAtMs);
    const again = await Promise.all([1, 2, 3].map(() => producer.addRecurringTask('report', { everyMs: 60_000, startAtMs }, 'daily')));
    assert.deepEqual(again, [false, false, false]);
    assert.deepEqual(await snapshot(), first);

    assert.equal(await producer.addRecurringTask('report', { cron: '0 0 1 1 *', timezone: 'Europe/Paris' }, 'daily'), true);
    const replaced = await snapshot();
    const newYear = new Date(new Date().getUTCFullYear() + 1, 0, 1);
    const expected = Date.parse(`${newYear.getFullYear()}-01-01T00:00:00+01:00`);
    assert.equal(replaced.due, expected);
    assert.deepEqual(JSON.parse(String(replaced.record)).spec, { cron: '0 0 1 1 *', timezone: 'Europe/Paris' });
    const listed = await producer.getRecurringTasks('report');
    assert.deepEqual(listed, [
      { name: 'report', taskInfo: 'daily', schedule: { cron: '0 0 1 1 *', timezone: 'Europe/Paris' }, nextDueMs: expected, lastRunMs: null, lastOutcome: null, coalescedTicks: 0 },
    ]);

    // Without startAtMs the grid starts at the first add: a later call with the same spec keeps it.
    assert.equal(await producer.addRecurringTask('report', { everyMs: 60_000 }, 'hourly'), true);
    const anchored = await client.zScore(keys.due, 'hourly');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await producer.addRecurringTask('report', { everyMs: 60_000 }, 'hourly'), false);
    assert.equal(await client.zScore(keys.due, 'hourly'), anchored);
  });

  it('bad input gets an error naming the field, and nothing is written', async () => {
    const keyPrefix = 'test:recurring:bad';
    const producer = scheduler(keyPrefix);
    producer.setHandler('known', () => undefined);
    const cases: Array<[string, unknown, unknown, RegExp]> = [
      ['known', { cron: 'not a cron' }, 'x', /schedule\.cron/],
      ['known', { cron: '* * * * *', timezone: 'Nowhere/Land' }, 'x', /schedule\.timezone/],
      ['known', { everyMs: 0 }, 'x', /schedule\.everyMs/],
      ['known', { everyMs: Number.POSITIVE_INFINITY }, 'x', /schedule\.everyMs/],
      ['known', { everyMs: Number.NaN }, 'x', /schedule\.everyMs/],
      ['known', { everyMs: 1_000, every: 5 }, 'x', /unknown schedule field "every"/],
      ['known', { everyMs: 1_000 }, 42, /taskInfo must be a string/],
      ['', { everyMs: 1_000 }, 'x', /handler name/],
      ['unknown', { everyMs: 1_000 }, 'x', /unknown handler "unknown"/],
    ];
    for (const [name, schedule, taskInfo, message] of cases) {
      await assert.rejects(
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        producer.addRecurringTask(name, schedule as any, taskInfo as any),
        (err: Error) => message.test(err.message),
        `${name} ${JSON.stringify(schedule)}`,
      );
    }
    assert.deepEqual(await scanKeys(keyPrefix), []);
  });

  it('a failing tick takes its retries into the dead set, and the next tick is still on time', async () => {
    const keyPrefix = 'test:recurring:failing';
    const node = scheduler(keyPrefix, { maxRetries: 1, retryDelayMs: 150 });
    const runs: Run[] = [];
    node.setHandler('flaky', (taskInfo: string, context: TaskContext) => {
      runs.push({ taskInfo, attempt: context.attempt, dueTimeMs: context.dueTimeMs });
      throw new Error(`tick failed on attempt ${context.attempt}`);
    });
    await node.start();
    await node.addRecurringTask('flaky', { everyMs: 1_000 }, 'job');
    await eventually(() => runs.filter((r) => r.attempt === 1).length >= 3, 15_000, '3 ticks');
    await node.stop();

    const firstAttempts = runs.filter((r) => r.attempt === 1).map((r) => r.dueTimeMs);
    for (let i = 1; i < firstAttempts.length; i++) assert.equal(firstAttempts[i] - firstAttempts[i - 1], 1_000, `ticks ${firstAttempts.join(', ')}`);
    // every tick but maybe the last (stopped meanwhile) used both attempts
    assert.deepEqual(runs.slice(0, 4).map((r) => r.attempt), [1, 2, 1, 2]);
    const [dead] = await node.getDeadTasks('flaky');
    assert.equal(dead.taskInfo, 'job');
    assert.match(dead.error, /tick failed on attempt 2/);
    const [listed] = await node.getRecurringTasks('flaky');
    assert.equal(listed.lastOutcome, 'dead');
    assert.equal(listed.coalescedTicks, 0);
  });

  it('ticks never overlap: a tick running past the next ones is followed by one coalesced run, then the grid', async () => {
    const keyPrefix = 'test:recurring:overlap';
    const node = scheduler(keyPrefix);
    const runs: Run[] = [];
    let active = 0;
    let maxActive = 0;
    node.setHandler('slow', async (taskInfo: string, context: TaskContext) => {
      runs.push({ taskInfo, attempt: context.attempt, dueTimeMs: context.dueTimeMs });
      maxActive = Math.max(maxActive, ++active);
      if (runs.length === 1) await new Promise((resolve) => setTimeout(resolve, 1_400));
      active--;
    });
    await node.start();
    await node.addRecurringTask('slow', { everyMs: 300 }, 'job');
    await eventually(() => runs.length >= 6, 10_000, '6 ticks');
    await node.stop();

    assert.equal(maxActive, 1, 'two ticks of one task ran at once');
    const dues = runs.map((r) => r.dueTimeMs);
    assert.equal(dues[1] - dues[0], 300, 'the tick due during the long run runs right after it');
    assert.ok(dues.every((d) => (d - dues[0]) % 300 === 0), `ticks off the grid: ${dues.join(', ')}`);
    assert.ok(dues[2] - dues[1] > 300, 'the ticks due meanwhile were coalesced into that one run');
    const [stats] = await node.getStats();
    const [listed] = await node.getRecurringTasks('slow');
    assert.equal(stats.coalescedTicks, (dues[2] - dues[1]) / 300 - 1);
    assert.equal(listed.coalescedTicks, stats.coalescedTicks);
  });

  it('removeTask ends the recurrence, also while a tick runs (the running tick is aborted, nothing follows)', async () => {
    const keyPrefix = 'test:recurring:remove';
    const node = scheduler(keyPrefix);
    const runs: Run[] = [];
    const aborted: boolean[] = [];
    node.setHandler('job', async (taskInfo: string, context: TaskContext) => {
      runs.push({ taskInfo, attempt: context.attempt, dueTimeMs: context.dueTimeMs });
      await new Promise((resolve) => setTimeout(resolve, 600));
      aborted.push(context.signal.aborted);
    });
    await node.start();
    await node.addRecurringTask('job', { everyMs: 200 }, 'r');
    await eventually(() => runs.length === 1, 5_000, 'the first tick');
    assert.equal(await node.removeTask('job', 'r'), true);
    await eventually(() => aborted.length === 1, 5_000, 'the running tick to end');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await node.stop();
    assert.equal(runs.length, 1, 'a tick ran after removeTask');
    assert.deepEqual(aborted, [true]);
    assert.deepEqual(await node.getRecurringTasks('job'), []);
    assert.equal((await node.getStats())[0].recurring, 0);
    assert.deepEqual(await scanKeys(keyPrefix), [`{${keyPrefix}}:buckets`, `{${keyPrefix}}:names`]);
    assert.equal(await node.removeTask('job', 'r'), false);
  });
});
