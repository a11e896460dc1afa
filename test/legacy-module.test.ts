// The upgrade path as an app gets it: the module loaded by the AntelopeJS runtime with
// `migrateLegacyTasks: true` (test/support/module-options.ts) moves the published scheduler's tasks.
import assert from 'node:assert/strict';
import { GetClient } from '@ajs/redis/beta';
import { enableListener, getStats, setHandler, type TaskContext } from '@ajs/redis_scheduler/beta';
import type { RedisClient } from './support/redis-client';
import { LEGACY_KEY, legacyAddRetry, legacyAddTask } from './support/legacy-node';
import { MODULE_OPTIONS } from './support/module-options';
import { eventually } from './support/nodes';

describe('redis_scheduler@beta with migrateLegacyTasks: true', function () {
  this.timeout(20_000);

  before(async () => {
    await enableListener();
  });

  it('runs the tasks an old node left and those it adds, with the attempts they used', async () => {
    assert.equal(MODULE_OPTIONS.migrateLegacyTasks, true);
    const client = (await GetClient()) as unknown as RedisClient;
    const runs = new Map<string, TaskContext>();
    setHandler('legacy-module', (taskInfo, context) => void runs.set(taskInfo, context));

    // Left by an old node after one failure (the run loop re-adds it without a message)...
    await legacyAddRetry(client, 'legacy-module', 'invoice:17:{"total":"12:50"}', 1, Date.now() - 1_000);
    // ...and added by an old node still running: ZADD, then PUBLISH update.
    const dueTime = Date.now() + 300;
    await legacyAddTask(client, 'legacy-module', dueTime, 'reminder:42');

    await eventually(() => runs.size === 2, 10_000, 'both legacy tasks to run');
    assert.equal(runs.get('invoice:17:{"total":"12:50"}')?.attempt, 2);
    assert.equal(runs.get('reminder:42')?.attempt, 1);
    assert.equal(runs.get('reminder:42')?.dueTimeMs, dueTime);
    assert.equal(await client.exists(LEGACY_KEY), 0);
    const stats = async () => (await getStats()).find((s) => s.name === 'legacy-module');
    await eventually(async () => (await stats())?.running === 0, 5_000, 'the acknowledgements');
    assert.equal((await stats())?.scheduled, 0);
  });
});
