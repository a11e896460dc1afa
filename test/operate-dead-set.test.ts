// Issue 12, the dead set: retention, retry, purge, re-add and remove of dead tasks.
import assert from 'node:assert/strict';
import { KeySpace } from '../src/engine/keys';
import type { TaskContext } from '../src/engine/scheduler';
import { EngineBench } from './support/engines';
import { eventually } from './support/nodes';

const DAY_MS = 24 * 3_600_000;

describe('operate: the dead set', function () {
  this.timeout(60_000);
  const bench = new EngineBench();

  before(() => bench.connect());
  after(() => bench.close());

  /** An engine whose handler of `name` fails while `failing.on`, recording every run. */
  function failingNode(keyPrefix: string, name: string, options: object = {}) {
    const failing = { on: true };
    const runs: Array<{ taskInfo: string; attempt: number }> = [];
    const node = bench.engine({ keyPrefix, maxRetries: 0, safetyPollMs: 200, ...options });
    node.setHandler(name, (taskInfo: string, context: TaskContext) => {
      runs.push({ taskInfo, attempt: context.attempt });
      if (failing.on) throw new Error(`failed ${taskInfo}`);
    });
    return { node, runs, failing };
  }

  const deadCount = async (node: ReturnType<typeof failingNode>['node'], name: string) => (await node.getStats()).find((s) => s.name === name)?.dead ?? 0;

  it('keeps at most deadRetention.maxTasks dead tasks, dropping the oldest deaths as tasks die', async () => {
    const { node } = failingNode('test:operate:retention', 'doomed', { concurrency: 1, claimBatchSize: 1, deadRetention: { maxTasks: 5 } });
    const taskInfos = Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    // one at a time, in due order, so they die in that order
    await node.addTasks(taskInfos.map((taskInfo, i) => ({ name: 'doomed', dueTimeMs: i, taskInfo })));
    await node.start();
    await eventually(async () => (await node.getStats())[0].scheduled === 0 && (await node.getStats())[0].running === 0, 10_000, 'every death');
    const { tasks } = await node.listTasks('doomed', { state: 'dead', limit: 100 });
    assert.deepEqual(tasks.map((task) => task.taskInfo), taskInfos.slice(-5));
    const keys = new KeySpace('test:operate:retention').forHandler('doomed');
    assert.equal(await bench.client.hLen(keys.deadInfo), 5, 'the details of trimmed tasks were kept');
  });

  it('drops dead tasks older than deadRetention.maxAgeMs when the next task dies', async () => {
    const keyPrefix = 'test:operate:retention-age';
    const keys = new KeySpace(keyPrefix).forHandler('aging');
    const { node } = failingNode(keyPrefix, 'aging', { deadRetention: { maxAgeMs: DAY_MS } });
    const nowMs = await bench.redisNowMs();
    // Entries as fail.lua writes them, from 2 days and 1 hour ago (no way to age a real one but waiting).
    for (const [taskInfo, diedAtMs] of [['two-days', nowMs - 2 * DAY_MS], ['an-hour', nowMs - 3_600_000]] as const) {
      await bench.client.zAdd(keys.dead, { score: diedAtMs, value: taskInfo });
      await bench.client.hSet(keys.deadInfo, taskInfo, JSON.stringify({ error: 'old', attempts: 1, diedAtMs }));
    }
    assert.equal(await deadCount(node, 'aging'), 2, 'nothing is trimmed before a task dies');
    await node.addTask('aging', 0, 'now');
    await node.start();
    await eventually(async () => (await node.getTask('aging', 'now'))?.state === 'dead', 5_000, 'the death');
    assert.deepEqual((await node.listTasks('aging', { state: 'dead' })).tasks.map((t) => t.taskInfo), ['an-hour', 'now']);
    assert.equal(Number(await bench.client.hExists(keys.deadInfo, 'two-days')), 0);
  });

  it('retryDeadTasks requeues every dead task once, due now with fresh attempts; each runs once', async () => {
    const { node, runs, failing } = failingNode('test:operate:retry-all', 'retry', { maxRetries: 1, retryDelayMs: 0 });
    const taskInfos = Array.from({ length: 1_500 }, (_, i) => `job-${i}`);
    await node.addTasks(taskInfos.map((taskInfo) => ({ name: 'retry', dueTimeMs: 0, taskInfo })));
    await node.start();
    await eventually(async () => (await deadCount(node, 'retry')) === taskInfos.length, 30_000, 'every task to die');
    failing.on = false;
    runs.length = 0;
    // Two operators at once: each dead task is requeued by exactly one of them.
    const [first, second] = await Promise.all([node.retryDeadTasks('retry'), node.retryDeadTasks('retry')]);
    assert.equal(first + second, taskInfos.length);
    await eventually(() => runs.length >= taskInfos.length, 30_000, 'every retried task to run');
    await eventually(async () => (await node.getStats())[0].running === 0, 5_000, 'the acknowledgements');
    assert.equal(runs.length, taskInfos.length, 'a retried task ran twice');
    assert.deepEqual(new Set(runs.map((r) => r.taskInfo)).size, taskInfos.length);
    assert.ok(runs.every((r) => r.attempt === 1), 'a retried task did not start with fresh attempts');
    const { scheduled, running, dead, retrying } = (await node.getStats())[0];
    assert.deepEqual({ scheduled, running, dead, retrying }, { scheduled: 0, running: 0, dead: 0, retrying: 0 });
    assert.equal(await node.retryDeadTasks('retry'), 0);
  });

  it('retryDeadTasks with taskInfos requeues only those of them that are dead', async () => {
    const { node, runs, failing } = failingNode('test:operate:retry-some', 'some');
    await node.addTasks(['a', 'b', 'c'].map((taskInfo) => ({ name: 'some', dueTimeMs: 0, taskInfo })));
    await node.start();
    await eventually(async () => (await deadCount(node, 'some')) === 3, 5_000, 'three deaths');
    failing.on = false;
    assert.equal(await node.retryDeadTasks('some', ['a', 'c', 'never-existed', 'a']), 2);
    await eventually(() => runs.length === 5, 5_000, 'a and c to run again');
    assert.deepEqual(runs.slice(3).map((r) => r.taskInfo).sort(), ['a', 'c']);
    assert.deepEqual((await node.listTasks('some', { state: 'dead' })).tasks.map((t) => t.taskInfo), ['b']);
    assert.equal(await node.retryDeadTasks('some', []), 0);
  });

  it('purgeDeadTasks deletes all dead tasks, or only those dead for olderThanMs', async () => {
    const keyPrefix = 'test:operate:purge';
    const keys = new KeySpace(keyPrefix).forHandler('purge');
    const { node } = failingNode(keyPrefix, 'purge');
    await node.addTasks(Array.from({ length: 2_345 }, (_, i) => ({ name: 'purge', dueTimeMs: 0, taskInfo: `p${i}` })));
    await node.start();
    await eventually(async () => (await deadCount(node, 'purge')) === 2_345, 30_000, 'every death');
    const nowMs = await bench.redisNowMs();
    await bench.client.zAdd(keys.dead, { score: nowMs - 8 * DAY_MS, value: 'last-week' });
    await bench.client.hSet(keys.deadInfo, 'last-week', JSON.stringify({ error: 'old', attempts: 1, diedAtMs: nowMs - 8 * DAY_MS }));
    assert.equal(await node.purgeDeadTasks('purge', { olderThanMs: 7 * DAY_MS }), 1);
    assert.equal(await node.getTask('purge', 'last-week'), null);
    assert.equal(await node.purgeDeadTasks('purge', { olderThanMs: 60_000 }), 0);
    assert.equal(await node.purgeDeadTasks('purge'), 2_345);
    assert.equal(await bench.client.exists([keys.dead, keys.deadInfo]), 0);
    assert.equal(await node.purgeDeadTasks('purge'), 0);
  });

  it('re-adding a dead task clears its dead entry; removeTask of a dead task removes it and returns true', async () => {
    const { node, runs, failing } = failingNode('test:operate:readd', 'readd');
    await node.addTasks(['again', 'gone'].map((taskInfo) => ({ name: 'readd', dueTimeMs: 0, taskInfo })));
    await node.start();
    await eventually(async () => (await deadCount(node, 'readd')) === 2, 5_000, 'two deaths');
    failing.on = false;
    await node.addTask('readd', 0, 'again');
    assert.equal((await node.getTask('readd', 'again'))?.state, 'scheduled');
    await eventually(() => runs.some((r) => r.taskInfo === 'again' && r.attempt === 1 && runs.indexOf(r) > 1), 5_000, 'the re-added run');
    await eventually(async () => (await node.getTask('readd', 'again')) === null, 5_000, 'its success');
    assert.equal(await node.removeTask('readd', 'gone'), true);
    assert.equal(await node.getTask('readd', 'gone'), null);
    assert.equal(await node.removeTask('readd', 'gone'), false);
    const stats = (await node.getStats())[0];
    assert.deepEqual([stats.scheduled, stats.running, stats.dead], [0, 0, 0]);
  });
});
