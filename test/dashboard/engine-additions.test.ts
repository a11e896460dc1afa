// Issue 13: what the engine gained for the dashboard: runTaskNow (only a scheduled task, attempts
// kept, listeners woken), getDueForecast (slices by Redis time) and the node of a running task.
import assert from 'node:assert/strict';
import { KeySpace } from '../../src/engine/keys';
import { EngineBench, sleep } from '../support/engines';
import { eventually } from '../support/nodes';
import { scanKeys } from '../support/scan-keys';

const PREFIX = 'test:dashboard-engine';

describe('dashboard: runTaskNow, getDueForecast and the node of a running task', function () {
  this.timeout(30_000);
  const bench = new EngineBench();

  before(() => bench.connect());
  after(async () => {
    await bench.close();
    const keys = await scanKeys(PREFIX);
    if (keys.length > 0) {
      const cleaner = new EngineBench();
      await cleaner.connect();
      await cleaner.client.del(keys);
      await cleaner.close();
    }
  });

  it('runTaskNow makes a scheduled task due now with its attempts kept, wakes an idle listener, and leaves other states alone', async () => {
    const keyPrefix = `${PREFIX}:now`;
    const operator = bench.engine({ keyPrefix, allowUnknownHandlers: true });
    // a task that failed once and waits 10 min for its retry
    const failing = bench.engine({ keyPrefix, maxRetries: 2, retryDelayMs: 600_000, safetyPollMs: 60_000 });
    failing.setHandler('job', () => {
      throw new Error('not yet');
    });
    await failing.start();
    await failing.addTask('job', 0, 'retry-me');
    await eventually(async () => (await operator.getTask('job', 'retry-me'))?.attempt === 2, 5_000, 'the first failure');
    await failing.stop();
    const before = (await operator.getTask('job', 'retry-me'))!;
    assert.ok(before.dueTimeMs > Date.now() + 500_000);
    assert.equal(await operator.runTaskNow('job', 'retry-me'), true);
    const after = (await operator.getTask('job', 'retry-me'))!;
    assert.deepEqual([after.state, after.attempt], ['scheduled', 2]);
    assert.ok(after.dueTimeMs <= (await bench.redisNowMs()));

    // an idle listener whose safety poll is a minute away runs it at once: woken by the script
    const runs: Array<[string, number]> = [];
    const listener = bench.engine({ keyPrefix, safetyPollMs: 60_000 });
    listener.setHandler('later', async (taskInfo, context) => void runs.push([taskInfo, context.attempt]));
    await listener.start();
    await operator.addTask('later', Date.now() + 3_600_000, 'in-an-hour');
    await sleep(300);
    assert.equal(await operator.runTaskNow('later', 'in-an-hour'), true);
    await eventually(() => runs.length === 1, 5_000, 'the woken listener to run it');
    assert.deepEqual(runs, [['in-an-hour', 1]]);
    await eventually(async () => (await operator.getTask('later', 'in-an-hour')) === null, 5_000, 'its acknowledgement');
    // done, missing: nothing to move, nothing written
    assert.equal(await operator.runTaskNow('later', 'in-an-hour'), false);
    assert.equal(await operator.getTask('later', 'in-an-hour'), null);
    await listener.stop();

    // running and dead tasks are not scheduled: left alone
    const holder = bench.engine({ keyPrefix, maxRetries: 0, leaseMs: 10_000 });
    let release!: () => void;
    holder.setHandler('held', () => new Promise<void>((resolve) => (release = resolve)));
    holder.setHandler('dies', () => {
      throw new Error('gone');
    });
    await holder.start();
    await holder.addTasks([
      { name: 'held', dueTimeMs: 0, taskInfo: 'busy' },
      { name: 'dies', dueTimeMs: 0, taskInfo: 'dead' },
    ]);
    await eventually(async () => (await operator.getTask('held', 'busy'))?.state === 'running', 5_000, 'the run');
    await eventually(async () => (await operator.getTask('dies', 'dead'))?.state === 'dead', 5_000, 'the death');
    assert.equal(await operator.runTaskNow('held', 'busy'), false);
    assert.equal(await operator.runTaskNow('dies', 'dead'), false);
    assert.equal((await operator.getTask('held', 'busy'))?.state, 'running');
    assert.equal((await operator.getTask('dies', 'dead'))?.state, 'dead');
    release();
    await holder.stop();

    await assert.rejects(operator.runTaskNow('', 'x'), /handler name must be a non-empty string/);
    await assert.rejects(operator.runTaskNow('job', 42 as unknown as string), TypeError);
  });

  it('getDueForecast counts the tasks due in each coming slice by Redis time, overdue ones in none', async () => {
    const operator = bench.engine({ keyPrefix: `${PREFIX}:forecast`, allowUnknownHandlers: true });
    const now = await bench.redisNowMs();
    await operator.addTasks([
      { name: 'f', dueTimeMs: now - 5_000, taskInfo: 'overdue' },
      ...[1, 2, 3].map((i) => ({ name: 'f', dueTimeMs: now + 30_000, taskInfo: `first-${i}` })),
      { name: 'f', dueTimeMs: now + 150_000, taskInfo: 'third' },
      { name: 'f', dueTimeMs: now + 3_600_000, taskInfo: 'past-the-slices' },
    ]);
    const forecast = await operator.getDueForecast('f', { buckets: 4, bucketMs: 60_000 });
    assert.deepEqual(forecast.counts, [3, 0, 1, 0]);
    assert.equal(forecast.bucketMs, 60_000);
    assert.ok(Math.abs(forecast.nowMs - (await bench.redisNowMs())) < 2_000);
    assert.equal((await operator.getDueForecast('f')).counts.length, 12);
    assert.deepEqual((await operator.getDueForecast('nobody', { buckets: 2 })).counts, [0, 0]);
    await assert.rejects(operator.getDueForecast('f', { buckets: 0 }), /buckets must be an integer from 1 to 1000/);
    await assert.rejects(operator.getDueForecast('f', { bucketMs: 1.5 }), /bucketMs must be an integer/);
  });

  it('a running task names the engine instance holding it: one id per instance', async () => {
    const keyPrefix = `${PREFIX}:node`;
    const operator = bench.engine({ keyPrefix, allowUnknownHandlers: true });
    const releases: Array<() => void> = [];
    const nodes = [bench.engine({ keyPrefix, concurrency: 2 }), bench.engine({ keyPrefix, concurrency: 2 })];
    for (const node of nodes) node.setHandler('work', () => new Promise<void>((resolve) => releases.push(resolve)));
    await Promise.all(nodes.map((node) => node.start()));
    await operator.addTasks(['a', 'b', 'c', 'd'].map((taskInfo) => ({ name: 'work', dueTimeMs: 0, taskInfo })));
    await eventually(async () => (await operator.listTasks('work', { state: 'running' })).tasks.length === 4, 5_000, 'four runs');
    const running = (await operator.listTasks('work', { state: 'running' })).tasks;
    const ids = new Set(running.map((task) => task.node));
    assert.equal(ids.size, 2, `nodes: ${[...ids].join(', ')}`);
    for (const id of ids) assert.match(id ?? '', /^[\w-]{8}$/);
    assert.equal((await operator.getTask('work', 'a'))?.node, running.find((task) => task.taskInfo === 'a')?.node);
    for (const release of releases) release();
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it('over 4 buckets: runTaskNow moves a task within its own bucket and a listener runs it; getDueForecast sums every bucket', async () => {
    const keyPrefix = `${PREFIX}:buckets`;
    const operator = bench.engine({ keyPrefix, buckets: 4, allowUnknownHandlers: true });
    const keys = new KeySpace(keyPrefix, 4);
    const now = await bench.redisNowMs();
    const dueIn = (i: number) => now + (i < 10 ? 30_000 : i < 20 ? 90_000 : 150_000);
    await operator.addTasks(Array.from({ length: 40 }, (_, i) => ({ name: 'f', dueTimeMs: dueIn(i), taskInfo: `task-${i}` })));
    // the 40 tasks are spread over the 4 buckets (each one's due set holds some)
    const perBucket = await Promise.all(keys.allBuckets('f').map(async (bucket) => Number(await bench.client.zCard(bucket.due))));
    assert.equal(perBucket.length, 4);
    assert.ok(perBucket.every((count) => count > 0), `per bucket: ${perBucket.join(', ')}`);
    assert.equal(perBucket.reduce((a, b) => a + b), 40);
    const forecast = await operator.getDueForecast('f', { buckets: 3, bucketMs: 60_000 });
    assert.deepEqual(forecast.counts, [10, 10, 20]);

    // one task an hour away per bucket, an idle listener whose safety poll is a minute away
    const runs: string[] = [];
    const listener = bench.engine({ keyPrefix, buckets: 4, safetyPollMs: 60_000 });
    listener.setHandler('later', async (taskInfo) => void runs.push(taskInfo));
    await listener.start();
    const byBucket = new Map<number, string>();
    for (let i = 0; byBucket.size < 4; i++) if (!byBucket.has(keys.bucketOf(`job-${i}`))) byBucket.set(keys.bucketOf(`job-${i}`), `job-${i}`);
    const hourAway = Date.now() + 3_600_000;
    await operator.addTasks([...byBucket.values()].map((taskInfo) => ({ name: 'later', dueTimeMs: hourAway, taskInfo })));
    await sleep(300);
    for (const bucket of [3, 1]) {
      const taskInfo = byBucket.get(bucket)!;
      assert.equal(await operator.runTaskNow('later', taskInfo), true);
      // moved inside its bucket's due set (no copy elsewhere), or already claimed from it
      const score = (await bench.client.zScore(keys.forBucket('later', bucket).due, taskInfo)) as number | null;
      assert.ok(score === null || score <= (await bench.redisNowMs()), `due score ${score}`);
      for (const other of [0, 1, 2, 3].filter((b) => b !== bucket)) assert.equal(await bench.client.zScore(keys.forBucket('later', other).due, taskInfo), null);
    }
    await eventually(() => runs.length === 2, 5_000, 'the woken listener to run both');
    assert.deepEqual(runs.sort(), [byBucket.get(1)!, byBucket.get(3)!].sort());
    for (const bucket of [0, 2]) assert.equal((await operator.getTask('later', byBucket.get(bucket)!))?.dueTimeMs, hourAway);
    await listener.stop();
  });
});
