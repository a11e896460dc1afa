// Scenario 6: a handler that kills its own process (kill -9) every time it runs. After 1 + maxRetries
// attempts the task must land in the dead set with a reason, while other tasks keep flowing.
import assert from 'node:assert/strict';
import { BASE_OPTIONS, FaultCluster, spreadTasks } from './support/fault-cluster';
import { byProfile, recoveryBoundMs, sleep } from './support/fault-profile';
import { markScenario, recordScenario } from './support/fault-summary';
import { countTasks, countsAsExecution, lostTasks, runsByTask, type PlannedTask } from './support/task-ledger';

const SCENARIO = '6. poison pill';
const SCENARIO_COLLATERAL = '6b. poison pill bystanders';
const POISON = 'poison';
const NORMAL = 'normal';
const MAX_RETRIES = 2;
const MAX_ATTEMPTS = MAX_RETRIES + 1;
const OPTIONS = { ...BASE_OPTIONS, leaseMs: 1_000, safetyPollMs: 500, maxRetries: MAX_RETRIES };
const NODE_LABELS = ['node-1', 'node-2'];

describe(`fault ${SCENARIO}: a handler that kills its node every time`, function () {
  this.timeout(120_000);
  let cluster: FaultCluster | undefined;
  let scenario = SCENARIO;

  afterEach(async function () {
    markScenario(scenario, this.currentTest?.state === 'passed');
    await cluster?.destroy();
    cluster = undefined;
  });

  it('goes to the dead set with a reason after its attempts, while other tasks keep flowing', async () => {
    scenario = SCENARIO;
    cluster = await FaultCluster.start({
      options: OPTIONS,
      handlers: [
        { name: POISON, killProcessOnRun: true },
        { name: NORMAL, workMs: 30 },
      ],
    });
    for (const label of NODE_LABELS) await cluster.startNode(label);
    const spreadMs = byProfile(6_000, 12_000);
    const poison: PlannedTask = { name: POISON, taskInfo: 'pill', dueTimeMs: Date.now() + 200 };
    const normal = spreadTasks(NORMAL, byProfile(200, 600), Date.now(), spreadMs);
    await cluster.add([poison, ...normal]);

    // Supervisor: restart the nodes the pill killed, until it is dead and the normal tasks are done.
    const deadlineMs = Date.now() + spreadMs + MAX_ATTEMPTS * recoveryBoundMs(OPTIONS.leaseMs, OPTIONS.safetyPollMs) + 30_000;
    let restarts = 0;
    while (Date.now() < deadlineMs) {
      restarts += await cluster.restartDeadNodes();
      const done = (await cluster.deadKeys([POISON])).size === 1 && (await cluster.pending([NORMAL])) === 0;
      if (done) break;
      await sleep(50);
    }
    const [deadTask] = await cluster.producer.getDeadTasks(POISON);
    // It must stay dead: no further run over another lease + safety poll.
    await sleep(recoveryBoundMs(OPTIONS.leaseMs, OPTIONS.safetyPollMs));
    restarts += await cluster.restartDeadNodes();

    const runs = cluster.runs();
    const planned = [poison, ...normal];
    const dead = await cluster.deadKeys([POISON, NORMAL]);
    const counts = countTasks(planned, runs, dead);
    const pillRuns = runs.filter((run) => run.name === POISON);
    const diedAtMs = deadTask?.diedAtMs ?? Infinity;
    const flowing = runs.filter((run) => run.name === NORMAL && run.finished && run.startMs > pillRuns[0]?.startMs && run.startMs < diedAtMs);
    recordScenario({ scenario, ...counts, note: `pill ran ${pillRuns.length}x, ${restarts} node restarts, ${flowing.length} normal tasks done meanwhile; duplicates = pill retries + normal tasks in flight on a killed node` });

    assert.ok(deadTask, 'the pill is not in the dead set');
    assert.equal(deadTask.taskInfo, 'pill');
    assert.match(deadTask.error, /lease expired/, 'the dead set gives no reason');
    assert.equal(deadTask.attempts, MAX_ATTEMPTS, 'attempts recorded in the dead set');
    assert.deepEqual(pillRuns.map((run) => run.attempt), [1, 2, 3].slice(0, MAX_ATTEMPTS), 'the pill ran other than once per attempt');
    assert.deepEqual([...dead].filter((key) => !key.startsWith(POISON)), [], 'innocent tasks dead-lettered with the pill');
    assert.deepEqual(lostTasks(normal, runs, new Set()), [], 'lost normal tasks');
    assert.ok(flowing.length > 0, 'no normal task finished while the pill was cycling');
    for (const [key, taskRuns] of runsByTask(runs.filter((run) => run.name === NORMAL))) {
      const executions = taskRuns.filter((run) => countsAsExecution(run, new Set()));
      for (const earlier of executions.slice(0, -1)) {
        assert.ok(earlier.incarnation.killedAtMs !== undefined, `${key} ran twice without its node dying`);
      }
    }
    assert.deepEqual(
      (await cluster.scanKeys()).filter((key) => !key.includes(':dead')),
      [cluster.keys.bucketsKey, cluster.keys.names],
      'keys left under the prefix besides the dead set',
    );
  });

  it('does not take the tasks running beside it to the dead set (collateral)', async () => {
    scenario = SCENARIO_COLLATERAL;
    cluster = await FaultCluster.start({
      options: { ...OPTIONS, concurrency: 16 },
      handlers: [
        { name: POISON, killProcessOnRun: true },
        { name: NORMAL, workMs: 1_500 },
      ],
    });
    await cluster.startNode('node-1');
    const dueTimeMs = Date.now() + 300;
    const bystanders = spreadTasks(NORMAL, 5, dueTimeMs, 0, 'bystander');
    const poison: PlannedTask = { name: POISON, taskInfo: 'pill', dueTimeMs: dueTimeMs + 50 };
    await cluster.add([...bystanders, poison]);
    const deadlineMs = Date.now() + MAX_ATTEMPTS * recoveryBoundMs(OPTIONS.leaseMs, OPTIONS.safetyPollMs) + 30_000;
    let restarts = 0;
    while (Date.now() < deadlineMs) {
      restarts += await cluster.restartDeadNodes();
      if ((await cluster.deadKeys([POISON])).size === 1 && (await cluster.pending([NORMAL])) === 0) break;
      await sleep(50);
    }
    const runs = cluster.runs();
    const dead = await cluster.deadKeys([POISON, NORMAL]);
    const counts = countTasks([...bystanders, poison], runs, dead);
    const deadBystanders = [...dead].filter((key) => key.startsWith(NORMAL));
    recordScenario({ scenario, ...counts, note: `${deadBystanders.length}/5 bystanders dead-lettered with the pill; ${restarts} restarts` });
    assert.equal(dead.size - deadBystanders.length, 1, 'the pill is not in the dead set');
    assert.deepEqual(deadBystanders, [], 'bystanders running beside the pill were dead-lettered with it');
  });
});
