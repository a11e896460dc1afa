// Scenario 1: kill -9 a random node every second (and restart it) while 3 nodes work through tasks.
import assert from 'node:assert/strict';
import { eventually } from '../support/nodes';
import { BASE_OPTIONS, FaultCluster, spreadTasks } from './support/fault-cluster';
import { byProfile, recoveryBoundMs, sleep } from './support/fault-profile';
import { markScenario, recordScenario } from './support/fault-summary';
import { countTasks, countsAsExecution, lostTasks, runsByTask, type Incarnation, type TaskRun } from './support/task-ledger';

const SCENARIO = '1. crash mid-handler';
const NAME = 'crash';
const TASK_COUNT = byProfile(300, 1_000);
const SPREAD_MS = byProfile(4_000, 10_000);
const KILL_EVERY_MS = 1_000;
const NODE_LABELS = ['node-1', 'node-2', 'node-3'];
const OPTIONS = { ...BASE_OPTIONS, leaseMs: 2_000, safetyPollMs: 1_000, maxRetries: 20 };
const NO_IGNORED = new Set<string>();

/** Kills a random node every KILL_EVERY_MS until `untilMs`, restarting it at once; returns the kills. */
async function killRandomly(cluster: FaultCluster, untilMs: number): Promise<Incarnation[]> {
  const killed: Incarnation[] = [];
  const firstKillMs = Date.now() + KILL_EVERY_MS;
  for (let round = 0; round < 100 && firstKillMs + round * KILL_EVERY_MS <= untilMs; round++) {
    await sleep(Math.max(0, firstKillMs + round * KILL_EVERY_MS - Date.now()));
    const label = NODE_LABELS[Math.floor(Math.random() * NODE_LABELS.length)];
    killed.push(await cluster.killNode(label));
    await cluster.startNode(label);
  }
  return killed;
}

/** Time from each kill to the restart of every task that was running on the killed node. */
function recoveryTimesMs(killed: readonly Incarnation[], runs: readonly TaskRun[]): number[] {
  const byTask = runsByTask(runs);
  const times: number[] = [];
  for (const incarnation of killed) {
    const inFlight = runs.filter((run) => run.incarnation === incarnation && !run.finished);
    for (const run of inFlight) {
      const next = byTask.get(`${run.name}\u0000${run.taskInfo}`)?.find((r) => r.startMs > run.startMs && r.incarnation !== incarnation);
      if (next) times.push(next.startMs - incarnation.killedAtMs!);
    }
  }
  return times;
}

/** Duplicates that are not explained by a kill: an earlier execution on a node that was not killed after it started. */
function unexplainedDuplicates(runs: readonly TaskRun[]): string[] {
  const problems: string[] = [];
  for (const [key, taskRuns] of runsByTask(runs)) {
    const executions = taskRuns.filter((run) => countsAsExecution(run, NO_IGNORED));
    for (let i = 0; i < executions.length - 1; i++) {
      const earlier = executions[i];
      const killedAtMs = earlier.incarnation.killedAtMs;
      if (killedAtMs === undefined || killedAtMs < earlier.startMs || executions[i + 1].startMs < killedAtMs) {
        problems.push(`${key.replace('\u0000', '/')}: run ${i + 1} on ${earlier.incarnation.label} (attempt ${earlier.attempt}) was followed by another run without a kill in between`);
      }
    }
  }
  return problems;
}

describe(`fault ${SCENARIO}: kill -9 a random node every second`, function () {
  this.timeout(SPREAD_MS + 90_000);
  let cluster: FaultCluster | undefined;

  afterEach(async function () {
    markScenario(SCENARIO, this.currentTest?.state === 'passed');
    await cluster?.destroy();
    cluster = undefined;
  });

  it('loses no task, runs again only what was in flight on a killed node, and recovers within lease + safety poll', async () => {
    cluster = await FaultCluster.start({ options: OPTIONS, handlers: [{ name: NAME, workMs: 150 }] });
    for (const label of NODE_LABELS) await cluster.startNode(label);
    const startMs = Date.now() + 300;
    const planned = spreadTasks(NAME, TASK_COUNT, startMs, SPREAD_MS);
    await cluster.add(planned);

    const killed = await killRandomly(cluster, startMs + SPREAD_MS);
    const drainMs = recoveryBoundMs(OPTIONS.leaseMs, OPTIONS.safetyPollMs) + 60_000;
    await eventually(async () => (await cluster!.pending([NAME])) === 0, drainMs, 'every task to be acknowledged');
    await sleep(200);

    const runs = cluster.runs();
    const dead = await cluster.deadKeys([NAME]);
    const counts = countTasks(planned, runs, dead);
    const recoveries = recoveryTimesMs(killed, runs);
    const worstRecoveryMs = recoveries.length > 0 ? Math.max(...recoveries) : undefined;
    recordScenario({ scenario: SCENARIO, ...counts, worstRecoveryMs, note: `${killed.length} kills, ${recoveries.length} tasks in flight on killed nodes` });

    assert.ok(killed.length >= Math.floor(SPREAD_MS / KILL_EVERY_MS) - 1, `only ${killed.length} kills happened`);
    assert.deepEqual(lostTasks(planned, runs, dead), [], 'lost tasks');
    assert.equal(counts.dead, 0, 'tasks in the dead set');
    assert.deepEqual(unexplainedDuplicates(runs), [], 'duplicates not caused by a kill');
    for (const incarnation of cluster.incarnations) {
      const perTask = runsByTask(runs.filter((run) => run.incarnation === incarnation));
      for (const [key, list] of perTask) assert.equal(list.length, 1, `${key} ran ${list.length} times on one node process`);
    }
    const boundMs = recoveryBoundMs(OPTIONS.leaseMs, OPTIONS.safetyPollMs);
    assert.ok(worstRecoveryMs === undefined || worstRecoveryMs <= boundMs, `worst recovery ${worstRecoveryMs} ms > bound ${boundMs} ms`);
    // Drained: only the bucket count is left (getStats dropped the emptied names from the registry).
    assert.deepEqual((await cluster.scanKeys()).filter((key) => key !== cluster!.keys.names), [cluster.keys.bucketsKey], 'keys left under the prefix');
  });
});
