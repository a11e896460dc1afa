// Scenario 2: a private redis-server with AOF (appendfsync always) crashes (kill -9) in the middle of
// a run and comes back on the same port and data; the nodes must reconnect and carry on by themselves.
import assert from 'node:assert/strict';
import { eventually } from '../support/nodes';
import { BASE_OPTIONS, FaultCluster, spreadTasks } from './support/fault-cluster';
import { byProfile, safetyPollBoundMs, sleep } from './support/fault-profile';
import { markScenario, recordScenario } from './support/fault-summary';
import { countTasks, lostTasks, runsByTask, type TaskRun } from './support/task-ledger';

const SCENARIO = '2. redis restart (AOF)';
const NAME = 'restart';
const TASK_COUNT = byProfile(200, 600);
const SPREAD_MS = byProfile(4_000, 8_000);
const DOWN_MS = byProfile(1_000, 2_000);
const NODE_LABELS = ['node-1', 'node-2'];
const OPTIONS = { ...BASE_OPTIONS, leaseMs: 5_000, safetyPollMs: 1_000 };
/** node-redis's longest reconnect delay (2 s) plus its jitter (200 ms). */
const RECONNECT_DELAY_MS = 2_200;

/** Tasks whose run overlapped the outage (started before Redis came back, not acknowledged before it went down). */
function runsAcrossOutage(runs: readonly TaskRun[], downAtMs: number, upAtMs: number): TaskRun[] {
  return runs.filter((run) => run.startMs < upAtMs && (run.endMs === undefined || run.endMs >= downAtMs));
}

describe(`fault ${SCENARIO}: redis-server killed and restarted mid-run`, function () {
  this.timeout(SPREAD_MS + 90_000);
  let cluster: FaultCluster | undefined;

  afterEach(async function () {
    markScenario(SCENARIO, this.currentTest?.state === 'passed');
    await cluster?.destroy();
    cluster = undefined;
  });

  it('nodes reconnect by themselves and lose no task', async () => {
    cluster = await FaultCluster.start({
      redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always'],
      options: OPTIONS,
      handlers: [{ name: NAME, workMs: 100 }],
    });
    for (const label of NODE_LABELS) await cluster.startNode(label);
    const pids = NODE_LABELS.map((label) => cluster!.node(label).pid);
    const startMs = Date.now() + 300;
    const planned = spreadTasks(NAME, TASK_COUNT, startMs, SPREAD_MS);
    await cluster.add(planned);

    await sleep(startMs + SPREAD_MS / 2 - Date.now());
    const downAtMs = Date.now();
    await cluster.redis.stop('SIGKILL');
    await sleep(DOWN_MS);
    await cluster.redis.launch();
    const upAtMs = Date.now();

    await eventually(async () => (await cluster!.pending([NAME]).catch(() => -1)) === 0, SPREAD_MS + 60_000, 'every task to be acknowledged');
    await sleep(200);
    const runs = cluster.runs();
    const dead = await cluster.deadKeys([NAME]);
    const counts = countTasks(planned, runs, dead);
    const resumedMs = NODE_LABELS.map((label) => {
      const first = runs.find((run) => run.incarnation.label === label && run.startMs >= upAtMs);
      return first ? first.startMs - upAtMs : Infinity;
    });
    const worstRecoveryMs = Math.max(...resumedMs);
    const across = runsAcrossOutage(runs, downAtMs, upAtMs);
    recordScenario({
      scenario: SCENARIO,
      ...counts,
      worstRecoveryMs: Number.isFinite(worstRecoveryMs) ? worstRecoveryMs : undefined,
      note: `down ${DOWN_MS} ms; ${across.length} runs spanned the outage`,
    });

    assert.deepEqual(lostTasks(planned, runs, dead), [], 'lost tasks');
    assert.equal(counts.dead, 0, 'tasks in the dead set');
    assert.equal(cluster.incarnations.length, NODE_LABELS.length, 'a node was restarted');
    NODE_LABELS.forEach((label, i) => {
      assert.ok(cluster!.node(label).isAlive, `${label} died`);
      assert.equal(cluster!.node(label).pid, pids[i], `${label} is another process`);
    });
    const boundMs = RECONNECT_DELAY_MS + safetyPollBoundMs(OPTIONS.safetyPollMs);
    resumedMs.forEach((ms, i) => assert.ok(ms <= boundMs, `${NODE_LABELS[i]} resumed ${ms} ms after Redis came back (bound ${boundMs} ms)`));
    const acrossKeys = new Set(across.map((run) => `${run.name}\u0000${run.taskInfo}`));
    for (const [key, taskRuns] of runsByTask(runs)) {
      if (taskRuns.length > 1) assert.ok(acrossKeys.has(key), `${key} ran ${taskRuns.length} times but was not running during the outage`);
    }
    // Drained: only the bucket count is left (getStats dropped the emptied names from the registry).
    assert.deepEqual((await cluster.scanKeys()).filter((key) => key !== cluster!.keys.names), [cluster.keys.bucketsKey], 'keys left under the prefix');
  });
});
