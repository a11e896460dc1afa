// Issue 12 through the AntelopeJS runtime: every operator function of redis_scheduler@beta answers
// (a misspelt key in the module's ImplementInterface would hang these calls) and does its job.
import assert from 'node:assert/strict';
import {
  addTasks,
  disableListener,
  enableListener,
  getMetrics,
  getStats,
  getTask,
  listTasks,
  pauseHandler,
  purgeDeadTasks,
  resumeHandler,
  retryDeadTasks,
  setHandler,
} from '@ajs/redis_scheduler/beta';
import { eventually } from './support/nodes';
import { parsePrometheus, sampleValue } from './support/prometheus';

describe('redis_scheduler@beta operator functions through the AntelopeJS runtime', function () {
  this.timeout(30_000);
  const failing = new Set(['dies-1', 'dies-2', 'dies-3']);
  const runs: string[] = [];

  before(async () => {
    setHandler('ops', (taskInfo) => {
      runs.push(taskInfo);
      if (failing.has(taskInfo)) throw new Error(`${taskInfo} failed`);
    });
    await enableListener();
  });

  after(() => disableListener());

  const statsOf = async (name: string) => (await getStats()).find((s) => s.name === name)!;

  it('listTasks and getTask page and show tasks; the dead set is retried and purged; pause and resume; metrics', async () => {
    const farMs = Date.now() + 3_600_000;
    await addTasks(Array.from({ length: 5 }, (_, i) => ({ name: 'ops', dueTimeMs: farMs + i, taskInfo: `later-${i}` })));
    const first = await listTasks('ops', { state: 'scheduled', limit: 3 });
    const second = await listTasks('ops', { state: 'scheduled', limit: 3, cursor: first.cursor });
    assert.equal(second.cursor, undefined);
    assert.deepEqual([...first.tasks, ...second.tasks].map((t) => t.taskInfo), ['later-0', 'later-1', 'later-2', 'later-3', 'later-4']);
    await addTasks([...failing].map((taskInfo) => ({ name: 'ops', dueTimeMs: 0, taskInfo })));
    assert.deepEqual(await getTask('ops', 'later-0'), { name: 'ops', taskInfo: 'later-0', state: 'scheduled', dueTimeMs: farMs, attempt: 1 });
    assert.equal(await getTask('ops', 'nothing'), null);
    await assert.rejects(listTasks('ops', { state: 'waiting' as never }), /state must be one of/);

    await eventually(async () => (await statsOf('ops')).dead === 3, 15_000, 'three deaths');
    assert.equal((await listTasks('ops', { state: 'dead' })).tasks.length, 3);
    assert.equal((await getTask('ops', 'dies-1'))?.state, 'dead');

    failing.delete('dies-1');
    assert.equal(await retryDeadTasks('ops', ['dies-1']), 1);
    await eventually(async () => (await getTask('ops', 'dies-1')) === null, 5_000, 'the retried task to succeed');
    assert.equal(await purgeDeadTasks('ops', { olderThanMs: 3_600_000 }), 0);
    assert.equal(await purgeDeadTasks('ops'), 2);
    assert.equal(await retryDeadTasks('ops'), 0);

    assert.equal(await pauseHandler('ops'), true);
    assert.equal((await statsOf('ops')).paused, true);
    const before = runs.length;
    await addTasks([{ name: 'ops', dueTimeMs: 0, taskInfo: 'after-pause' }]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(runs.length, before, 'a paused name ran');
    assert.equal(await resumeHandler('ops'), true);
    await eventually(() => runs.includes('after-pause'), 5_000, 'the task after resume');

    const samples = parsePrometheus(await getMetrics());
    assert.equal(sampleValue(samples, 'redis_scheduler_task_runs_total', { name: 'ops', outcome: 'dead' }), 3);
    assert.equal(sampleValue(samples, 'redis_scheduler_tasks', { name: 'ops', state: 'scheduled' }), 5);
  });
});
