// Issue 12 on issue 7's claims: a run superseded by a re-add ('+') or cancelled by a remove ('!')
// keeps its lease until it ends, but the operator views follow the task, not that run: getTask,
// listTasks and getStats count it once, by its due entry or not at all, and never show a mark.
import assert from 'node:assert/strict';
import { KeySpace } from '../src/engine/keys';
import { EngineBench } from './support/engines';
import { eventually } from './support/nodes';
import { parsePrometheus, sampleValue } from './support/prometheus';

describe('operate: views of runs superseded or cancelled while running', function () {
  this.timeout(30_000);
  const bench = new EngineBench();

  before(() => bench.connect());
  after(() => bench.close());

  it('a re-added running task is scheduled, a removed one is gone; the old run ends as lease_expired', async () => {
    const keyPrefix = 'test:operate:marks';
    const keys = new KeySpace(keyPrefix).forHandler('marks');
    const node = bench.engine({ keyPrefix, leaseMs: 5_000, safetyPollMs: 200 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    node.setHandler('marks', async () => {
      runs++;
      await gate;
    });
    const dueTimeMs = Date.now();
    await node.addTask('marks', dueTimeMs, 'slow');
    await node.start();
    await eventually(async () => (await node.getTask('marks', 'slow'))?.state === 'running', 5_000, 'the run');
    const running = await node.getTask('marks', 'slow');
    assert.equal(running?.taskInfo, 'slow');
    assert.equal(running?.dueTimeMs, dueTimeMs);

    // Re-added while running: the run is superseded, the task waits under its new due time.
    const laterMs = Date.now() + 3_600_000;
    await node.addTask('marks', laterMs, 'slow');
    assert.match(String(await bench.client.hGet(keys.claims, 'slow')), /^\+/, 'the run is marked superseded');
    assert.deepEqual(await node.getTask('marks', 'slow'), { name: 'marks', taskInfo: 'slow', state: 'scheduled', dueTimeMs: laterMs, attempt: 1 });
    assert.deepEqual((await node.listTasks('marks', { state: 'running' })).tasks, []);
    assert.deepEqual((await node.listTasks('marks', { state: 'scheduled' })).tasks.map((t) => t.taskInfo), ['slow']);
    let stats = (await node.getStats()).find((s) => s.name === 'marks')!;
    assert.deepEqual([stats.scheduled, stats.running, stats.overdue], [1, 0, 0]);

    // Removed: the run is cancelled (its lease kept until it ends), the task is in no state.
    assert.equal(await node.removeTask('marks', 'slow'), true);
    assert.match(String(await bench.client.hGet(keys.claims, 'slow')), /^!/, 'the run is marked cancelled');
    assert.equal(await bench.client.zScore(keys.lease, 'slow') !== null, true, 'the cancelled run keeps its lease');
    assert.equal(await node.getTask('marks', 'slow'), null);
    assert.deepEqual((await node.listTasks('marks', { state: 'running' })).tasks, []);
    stats = (await node.getStats()).find((s) => s.name === 'marks')!;
    assert.deepEqual([stats.scheduled, stats.running, stats.dead], [0, 0, 0]);

    release();
    await eventually(async () => (await bench.client.zCard(keys.lease)) === 0, 5_000, 'the cancelled run to end');
    const samples = parsePrometheus(await node.getMetrics());
    assert.equal(sampleValue(samples, 'redis_scheduler_task_runs_total', { name: 'marks', outcome: 'lease_expired' }), 1);
    assert.equal(sampleValue(samples, 'redis_scheduler_task_runs_total', { name: 'marks', outcome: 'success' }) ?? 0, 0);
    assert.equal(runs, 1);
  });
});
