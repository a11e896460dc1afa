// Issue 9 on the local 3-master cluster: one name's tasks spread over every master (12 buckets by
// default), each run exactly once across 3 scheduler processes; a node with another bucket count
// refused; a re-bucketing on the cluster with scheduled, paused and dead tasks.
import assert from 'node:assert/strict';
import { rebucket } from '../../src/engine/bucket-move';
import { createRedisPort } from '../../src/engine/redis/detect-client';
import { RedisScheduler } from '../../src/engine/scheduler';
import { eventually } from '../support/nodes';
import { recordedKeySpace } from '../support/recorded-keys';
import { ClusterRun, quietLogger, sleep, taskId } from './cluster-run';

const TASKS = 3_000;
const keyPrefix = 'test:buckets';

describe('cluster buckets: one name over every master', function () {
  this.timeout(180_000);
  let run: ClusterRun | undefined;

  before(async () => {
    run = await ClusterRun.start({ keyPrefix, concurrency: 16, safetyPollMs: 1_000 });
  });

  after(async () => {
    await run?.destroy();
    run = undefined;
  });

  /** How many entries of `kind` of `name` each master holds, by master port. */
  async function perMaster(name: string, kind: 'due' | 'dead'): Promise<Map<number, number>> {
    const port = createRedisPort(run!.connection.client);
    const space = await recordedKeySpace(port, keyPrefix);
    const counts = new Map<number, number>();
    for (const keys of space.allBuckets(name)) {
      const master = (await run!.cluster.masterOfSlot(await run!.cluster.slotOf(keys[kind]))).port;
      const n = Number(await port.send([kind === 'due' ? 'ZCARD' : 'ZCARD', keys[kind]], keys[kind]));
      counts.set(master, (counts.get(master) ?? 0) + n);
    }
    return counts;
  }

  it(`spreads one name's ${TASKS} tasks over the 3 masters, and 3 processes run each exactly once`, async () => {
    const { producer } = run!;
    const tasks = Array.from({ length: TASKS }, (_, i) => ({ name: 'hot', dueTimeMs: Date.now() + 1_000, taskInfo: `hot-${i}` }));
    await producer.addTasks(tasks);
    const port = createRedisPort(run!.connection.client);
    assert.equal((await recordedKeySpace(port, keyPrefix)).buckets, 12, 'the cluster default is not 12 buckets');
    const spread = await perMaster('hot', 'due');
    console.log(`      ${TASKS} tasks of one name per master (${run!.target.client}): ${[...spread.values()].join(' / ')}`);
    assert.equal(spread.size, 3, 'not every master holds tasks of the name');
    for (const [master, n] of spread) assert.ok(n <= 1.5 * (TASKS / 3), `master ${master} holds ${n} tasks, above 1.5x its share`);

    await run!.startNodes(3, ['hot'], 1);
    await eventually(() => run!.runCounts().size === TASKS, 60_000, 'every task to run');
    await sleep(1_500); // a duplicate would show up by now (the claim loop runs every few ms)
    const counts = run!.runCounts();
    assert.deepEqual(tasks.filter((t) => counts.get(taskId(t.name, t.taskInfo)) !== 1).map((t) => t.taskInfo), [], 'a task ran twice or not at all');
    const perNode = run!.nodes.map((node) => node.starts.length);
    console.log(`      runs per process: ${perNode.join(' / ')}`);
    assert.ok(perNode.every((n) => n > 0), 'a process ran nothing');
    await Promise.all(run!.nodes.map((node) => node.stop()));
    run!.nodes = [];
  });

  it('refuses a node configured with another bucket count, with the command that changes it', async () => {
    const other = new RedisScheduler(run!.connection.client, { keyPrefix, buckets: 4 }, quietLogger());
    other.setHandler('hot', () => undefined);
    await assert.rejects(other.start(), /laid out in 12 bucket\(s\).*buckets = 4.*npx redis-scheduler rebucket --url <redis-url> --prefix test:buckets --buckets 4/);
    assert.equal(other.isListening, false);
    await assert.rejects(other.addTask('hot', 0, 'refused'), /laid out in 12 bucket/);
    assert.equal(await run!.producer.getTask('hot', 'refused'), null);
  });

  it('re-buckets 12 -> 6 on the cluster: scheduled, paused and dead tasks keep their state and stay spread', async () => {
    const { producer } = run!;
    const later = Date.now() + 3_600_000;
    const scheduled = Array.from({ length: 600 }, (_, i) => ({ name: 'later', dueTimeMs: later + i, taskInfo: `later-${i}` }));
    await producer.addTasks(scheduled);
    await producer.pauseHandler('later');
    const doomed = new RedisScheduler(run!.connection.client, { keyPrefix, maxRetries: 0, safetyPollMs: 100 }, quietLogger());
    doomed.setHandler('doomed', () => {
      throw new Error('doomed');
    });
    await doomed.start();
    await doomed.addTasks(Array.from({ length: 60 }, (_, i) => ({ name: 'doomed', dueTimeMs: 0, taskInfo: `doomed-${i}` })));
    await eventually(async () => (await producer.getStats()).find((s) => s.name === 'doomed')?.dead === 60, 20_000, 'the dead tasks');
    await doomed.stop();
    const statsBefore = (await producer.getStats()).map(({ oldestOverdueMs: _o, overdue: _d, handledHere: _h, ...rest }) => rest);

    const report = await rebucket(run!.connection.client, { keyPrefix, buckets: 6 });
    assert.deepEqual([report.from, report.to], [12, 6]);
    const after = new RedisScheduler(run!.connection.client, { keyPrefix, buckets: 6, allowUnknownHandlers: true }, quietLogger());
    const statsAfter = (await after.getStats()).map(({ oldestOverdueMs: _o, overdue: _d, handledHere: _h, ...rest }) => rest);
    assert.deepEqual(statsAfter, statsBefore);
    const page = await after.listTasks('later', { state: 'scheduled', limit: 1_000 });
    assert.deepEqual(page.tasks.map((t) => t.taskInfo), scheduled.map((t) => t.taskInfo));
    assert.match((await after.getTask('doomed', 'doomed-7'))?.error ?? '', /^Error: doomed/);
    assert.equal((await perMaster('later', 'due')).size, 3, 'after re-bucketing, the name is not on every master');
    assert.equal((await perMaster('doomed', 'dead')).size, 3, 'after re-bucketing, the dead tasks are not on every master');
  });
});
