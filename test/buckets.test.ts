// Issue 9 on one server: the bucket count recorded and enforced, the offline re-bucketing with tasks
// in every state, and a name spread over buckets (exactly-once, listing order, stats, registry).
import assert from 'node:assert/strict';
import { rebucket } from '../src/engine/bucket-move';
import { KeySpace } from '../src/engine/keys';
import { createRedisPort } from '../src/engine/redis/detect-client';
import type { RedisScheduler, TaskView } from '../src/engine/scheduler';
import { Scripts } from '../src/engine/scripts';
import { EngineBench, sleep } from './support/engines';
import { eventually } from './support/nodes';
import { scanKeys } from './support/scan-keys';

const HOUR_MS = 3_600_000;

/** Every task of these (name, taskInfos), as getTask sees it. */
async function views(engine: RedisScheduler, tasks: Record<string, string[]>): Promise<Array<TaskView | null>> {
  const all: Array<TaskView | null> = [];
  for (const [name, taskInfos] of Object.entries(tasks)) for (const taskInfo of taskInfos) all.push(await engine.getTask(name, taskInfo));
  return all;
}

/** getStats without the fields that depend on the reading time or the reading node. */
async function figures(engine: RedisScheduler) {
  return (await engine.getStats()).map(({ oldestOverdueMs: _o, overdue: _d, handledHere: _h, ...rest }) => rest);
}

describe('buckets on one server', function () {
  this.timeout(120_000);
  const bench = new EngineBench();

  before(() => bench.connect());
  after(() => bench.close());

  it('re-bucketing 1 -> 4 -> 1 moves tasks in every state without losing one, and refuses while a lease is live', async () => {
    const keyPrefix = 'test:buckets:move';
    const producer = bench.engine({ keyPrefix, allowUnknownHandlers: true });
    const range = (name: string, n: number) => Array.from({ length: n }, (_, i) => `${name}-${i}`);
    const tasks: Record<string, string[]> = {
      plain: range('plain', 200),
      flaky: range('flaky', 20),
      doomed: range('doomed', 10),
      tick: range('tick', 5),
      held: range('held', 10),
      stuck: ['stuck-0'],
    };
    // scheduled, an hour ahead
    await producer.addTasks(tasks.plain.map((taskInfo, i) => ({ name: 'plain', dueTimeMs: Date.now() + HOUR_MS + i, taskInfo })));
    // waiting for a retry, with an attempt used
    const flaky = bench.engine({ keyPrefix, maxRetries: 2, retryDelayMs: HOUR_MS, safetyPollMs: 100 });
    flaky.setHandler('flaky', () => {
      throw new Error('flaky failed');
    });
    await flaky.addTasks(tasks.flaky.map((taskInfo) => ({ name: 'flaky', dueTimeMs: 0, taskInfo })));
    // dead, with their error
    const doomed = bench.engine({ keyPrefix, maxRetries: 0, safetyPollMs: 100 });
    doomed.setHandler('doomed', () => {
      throw new Error('doomed failed');
    });
    await doomed.addTasks(tasks.doomed.map((taskInfo) => ({ name: 'doomed', dueTimeMs: 0, taskInfo })));
    await Promise.all([flaky.start(), doomed.start()]);
    await eventually(async () => {
      const stats = await producer.getStats();
      return stats.find((s) => s.name === 'flaky')?.retrying === 20 && stats.find((s) => s.name === 'doomed')?.dead === 10;
    }, 20_000, 'the retries and the dead tasks');
    await Promise.all([flaky.stop(), doomed.stop()]);
    // recurring schedules, a paused name with due tasks
    for (const taskInfo of tasks.tick) await producer.addRecurringTask('tick', { everyMs: HOUR_MS }, taskInfo);
    await producer.pauseHandler('held');
    await producer.addTasks(tasks.held.map((taskInfo) => ({ name: 'held', dueTimeMs: 0, taskInfo })));
    // a live lease (a node runs the task), then expired (the node crashed)
    await producer.addTask('stuck', 0, 'stuck-0');
    const keys = new KeySpace(keyPrefix, 1);
    const settings = { leaseMs: 400, maxAttempts: 4, expiredError: 'lease expired' };
    const claimed = await new Scripts(createRedisPort(bench.client), keys).claim(keys.forHandler('stuck'), 1, 'crashed-node:1', 0, settings);
    assert.equal(claimed.tasks.length, 1);

    const keysBefore = await scanKeys(keyPrefix);
    await assert.rejects(rebucket(bench.client, { keyPrefix, buckets: 4 }), /live lease.*nothing was moved/);
    assert.deepEqual(await scanKeys(keyPrefix), keysBefore, 'a refused re-bucketing changed keys');
    await sleep(500);
    const before = await views(producer, tasks);
    const statsBefore = await figures(producer);

    const report = await rebucket(bench.client, { keyPrefix, buckets: 4 });
    assert.equal(report.from, 1);
    assert.equal(report.to, 4);
    assert.equal(report.entries.due, 200 + 20 + 5 + 10);
    assert.equal(report.entries.dead, 10);
    assert.equal(report.entries.lease, 1);
    assert.equal(report.entries.recurring, 5);
    const after = bench.engine({ keyPrefix, buckets: 4, allowUnknownHandlers: true });
    assert.deepEqual(await views(after, tasks), before);
    assert.deepEqual(await figures(after), statsBefore);
    const keysAfter = await scanKeys(keyPrefix);
    assert.ok(keysAfter.every((key) => !keysBefore.includes(key) || key.startsWith(`{${keyPrefix}}:`)), 'a key of the old layout is left');
    const plainTags = new Set(keysAfter.filter((key) => key.includes('{plain%#') && key.endsWith(':due')));
    assert.equal(plainTags.size, 4, 'the scheduled tasks are not over 4 buckets');
    const page = await after.listTasks('plain', { state: 'scheduled', limit: 1_000 });
    assert.deepEqual(page.tasks.map((t) => t.taskInfo), tasks.plain, 'listing across buckets is not in due order');

    // A node with the old count refuses to start, and a producer to write; the new count works.
    const stale = bench.engine({ keyPrefix, buckets: 1, allowUnknownHandlers: true });
    stale.setHandler('held', () => undefined);
    await assert.rejects(stale.start(), /laid out in 4 bucket\(s\).*configured with buckets = 1.*npx redis-scheduler rebucket --url <redis-url> --prefix test:buckets:move --buckets 1/);
    assert.equal(stale.isListening, false);
    await assert.rejects(stale.addTask('plain', 0, 'late'), /laid out in 4 bucket/);
    assert.equal(await after.getTask('plain', 'late'), null);

    // Back to one bucket: the same views again.
    await rebucket(bench.client, { keyPrefix, buckets: 1 });
    const single = bench.engine({ keyPrefix, allowUnknownHandlers: true });
    assert.deepEqual(await views(single, tasks), before);
    assert.deepEqual(await figures(single), statsBefore);

    // And they run: the paused tasks once resumed, the crashed node's task as its second attempt.
    const ran: string[] = [];
    const attempts = new Map<string, number>();
    const worker = bench.engine({ keyPrefix, safetyPollMs: 200 });
    worker.setHandler('held', (taskInfo) => void ran.push(taskInfo));
    worker.setHandler('stuck', (taskInfo, context) => void attempts.set(taskInfo, context.attempt));
    await worker.start();
    await worker.resumeHandler('held');
    await eventually(() => ran.length === 10 && attempts.size === 1, 10_000, 'the moved tasks to run');
    assert.deepEqual([...ran].sort(), [...tasks.held].sort());
    assert.equal(attempts.get('stuck-0'), 2);
    await worker.stop();
  });

  it('a prefix with tasks from before buckets is taken as one bucket; another count is refused until re-bucketed', async () => {
    const keyPrefix = 'test:buckets:legacy';
    const keys = new KeySpace(keyPrefix, 1);
    await bench.client.sendCommand(['SADD', keys.names, 'old']);
    await bench.client.sendCommand(['ZADD', keys.forHandler('old').due, '0', 'from-before']);
    const four = bench.engine({ keyPrefix, buckets: 4, allowUnknownHandlers: true });
    await assert.rejects(four.addTask('old', 0, 'x'), /tasks of a version before buckets.*--buckets 4/);
    assert.equal(await bench.client.sendCommand(['GET', keys.bucketsKey]), null);
    const auto = bench.engine({ keyPrefix, allowUnknownHandlers: true });
    assert.equal((await auto.getTask('old', 'from-before'))?.state, 'scheduled');
    assert.equal(await bench.client.sendCommand(['GET', keys.bucketsKey]), '1');
  });

  it('with 8 buckets: two engines run each task once, listings keep due order across buckets, an emptied name leaves the registry', async () => {
    const keyPrefix = 'test:buckets:eight';
    const producer = bench.engine({ keyPrefix, buckets: 8, allowUnknownHandlers: true });
    const nowMs = Date.now();
    const all = Array.from({ length: 600 }, (_, i) => ({ name: 'spread', dueTimeMs: nowMs + 2_000 + (i % 37), taskInfo: `s-${i}` }));
    await producer.addTasks(all);
    let previous = -Infinity;
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await producer.listTasks('spread', { state: 'scheduled', limit: 7, cursor });
      for (const task of page.tasks) {
        assert.ok(task.dueTimeMs >= previous, 'out of due order');
        previous = task.dueTimeMs;
        listed.push(task.taskInfo);
      }
      cursor = page.cursor;
    } while (cursor);
    assert.deepEqual([...listed].sort(), all.map((t) => t.taskInfo).sort());
    const [stats] = await producer.getStats();
    assert.equal(stats.scheduled, 600);

    const runs = new Map<string, number>();
    const engines = [0, 1].map(() => bench.engine({ keyPrefix, buckets: 8, concurrency: 8, safetyPollMs: 300 }));
    for (const engine of engines) {
      engine.setHandler('spread', async (taskInfo) => {
        runs.set(taskInfo, (runs.get(taskInfo) ?? 0) + 1);
        await sleep(1);
      });
      await engine.start();
    }
    await eventually(() => runs.size === 600, 30_000, 'every task to run');
    await sleep(300);
    await Promise.all(engines.map((engine) => engine.stop()));
    assert.deepEqual([...runs.values()].filter((n) => n !== 1), [], 'a task ran twice');
    await eventually(async () => (await producer.getStats()).every((s) => s.scheduled === 0 && s.running === 0), 5_000, 'the acknowledgements');
    await producer.getStats();
    assert.deepEqual(await bench.client.sendCommand(['SMEMBERS', new KeySpace(keyPrefix).names]), [], 'the emptied name stayed in the registry');
    assert.deepEqual(await producer.getStats(), []);
  });

  it('with 8 buckets: a busy name that keeps every slot full does not starve a task of another name', async () => {
    const keyPrefix = 'test:buckets:fair';
    const engine = bench.engine({ keyPrefix, buckets: 8, concurrency: 2, safetyPollMs: 60_000 });
    const busy = Array.from({ length: 400 }, (_, i) => ({ name: 'busy', dueTimeMs: 0, taskInfo: `b-${i}` }));
    let busyRuns = 0;
    let busyRunsBeforeOther = -1;
    engine.setHandler('busy', async () => {
      busyRuns++;
      await sleep(2);
    });
    engine.setHandler('other', () => {
      busyRunsBeforeOther = busyRuns;
    });
    await engine.addTasks(busy);
    await engine.start();
    await eventually(() => busyRuns >= 20, 30_000, 'the busy name to run');
    await engine.addTask('other', 0, 'o-1');
    await eventually(() => busyRunsBeforeOther >= 0, 30_000, 'the other name to run');
    await engine.stop();
    // 16 units in turn, at most 2 tasks a pass: the other name's unit comes first within 16 passes.
    assert.ok(busyRunsBeforeOther < 200, `the other name waited for ${busyRunsBeforeOther} of the busy name's 400 runs`);
  });
});
