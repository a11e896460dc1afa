// Issue 12, pause and resume: fleet-wide, persisted, seen by other node processes.
import assert from 'node:assert/strict';
import { EngineBench, sleep } from './support/engines';
import { NodeProcess, eventually } from './support/nodes';
import type { WorkerSpec } from './support/worker';

describe('operate: pauseHandler and resumeHandler across node processes', function () {
  this.timeout(60_000);
  const bench = new EngineBench();
  let nodes: NodeProcess[] = [];

  before(() => bench.connect());
  afterEach(async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    nodes = [];
  });
  after(() => bench.close());

  const spec = (keyPrefix: string, workMs = 0): WorkerSpec => ({
    redisUrl: process.env.TEST_REDIS_URL!,
    options: { keyPrefix, safetyPollMs: 60_000, leaseMs: 2_000 },
    handlers: [{ name: 'paused', workMs }, { name: 'other' }],
  });

  it('a pause made on one node stops another from claiming; running tasks finish; it survives a restart; resume runs the backlog at once', async () => {
    const keyPrefix = 'test:operate:pause';
    const operator = bench.engine({ keyPrefix, allowUnknownHandlers: true });
    const [first] = (nodes = [await NodeProcess.start(spec(keyPrefix, 1_000))]);
    await operator.addTask('paused', 0, 'running-when-paused');
    await first.waitFor((events) => events.some((e) => e.type === 'start'), 5_000);

    assert.equal(await operator.pauseHandler('paused'), true);
    assert.equal(await operator.pauseHandler('paused'), false, 'a second pause changed something');
    await operator.addTasks([
      { name: 'paused', dueTimeMs: 0, taskInfo: 'waits' },
      { name: 'other', dueTimeMs: 0, taskInfo: 'not-paused' },
    ]);
    // the running task finishes normally (not aborted) and is acknowledged
    await first.waitFor((events) => events.some((e) => e.type === 'done' && e.taskInfo === 'running-when-paused'), 5_000);
    assert.equal(first.dones[0].aborted, false);
    await eventually(async () => (await operator.getTask('paused', 'running-when-paused')) === null, 5_000, 'the acknowledgement');
    await first.waitFor((events) => events.some((e) => e.type === 'start' && e.taskInfo === 'not-paused'), 5_000);

    // a restarted node still sees the pause
    await first.kill();
    const second = await NodeProcess.start(spec(keyPrefix));
    nodes.push(second);
    await sleep(1_000); // its first claim, at start, found the name paused
    assert.deepEqual(second.starts.map((s) => s.taskInfo), [], 'a paused task was claimed');
    const stats = (await operator.getStats()).find((s) => s.name === 'paused')!;
    assert.equal(stats.paused, true);
    assert.equal(stats.overdue, 1);

    assert.equal(await operator.resumeHandler('paused'), true);
    assert.equal(await operator.resumeHandler('paused'), false);
    // the safety poll is a minute away: only the resume's wake-up message can start it now
    await second.waitFor((events) => events.some((e) => e.type === 'start' && e.taskInfo === 'waits'), 10_000);
    assert.equal((await operator.getStats()).find((s) => s.name === 'paused')!.paused, false);
  });

  it('pausing a name with no task yet lists it in getStats as paused', async () => {
    const operator = bench.engine({ keyPrefix: 'test:operate:pause-empty', allowUnknownHandlers: true });
    await operator.pauseHandler('quiet');
    const [stats] = await operator.getStats();
    assert.deepEqual([stats.name, stats.paused, stats.scheduled], ['quiet', true, 0]);
  });
});
