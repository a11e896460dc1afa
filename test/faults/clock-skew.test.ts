// Scenario 4: one node's clock runs 30 s ahead, another's 30 s behind (Date.now shifted in those
// processes only). Redis time is the truth: nothing may run early, no lease may be stolen.
import assert from 'node:assert/strict';
import { eventually } from '../support/nodes';
import { BASE_OPTIONS, FaultCluster, spreadTasks } from './support/fault-cluster';
import { byProfile, sleep } from './support/fault-profile';
import { markScenario, recordScenario } from './support/fault-summary';
import { countTasks, lostTasks } from './support/task-ledger';

const SCENARIO = '4. clock skew ±30 s';
const QUICK = 'skew-quick';
const LONG = 'skew-long';
const SKEW_MS = 30_000;
const OPTIONS = { ...BASE_OPTIONS, leaseMs: 1_000, safetyPollMs: 1_000 };
const NODES: Array<[string, number]> = [
  ['node-ahead', SKEW_MS],
  ['node-behind', -SKEW_MS],
];

describe(`fault ${SCENARIO}`, function () {
  this.timeout(120_000);
  let cluster: FaultCluster | undefined;

  afterEach(async function () {
    markScenario(SCENARIO, this.currentTest?.state === 'passed');
    await cluster?.destroy();
    cluster = undefined;
  });

  it('runs nothing before its due time by Redis time, steals no live lease and runs nothing twice', async () => {
    cluster = await FaultCluster.start({
      options: OPTIONS,
      handlers: [
        { name: QUICK, workMs: 20 },
        { name: LONG, workMs: OPTIONS.leaseMs * 2 },
      ],
    });
    for (const [label, clockSkewMs] of NODES) await cluster.startNode(label, { clockSkewMs });
    const spreadMs = byProfile(4_000, 8_000);
    const startMs = Date.now() + 1_000;
    const planned = [
      ...spreadTasks(QUICK, byProfile(150, 500), startMs, spreadMs),
      ...spreadTasks(LONG, byProfile(20, 60), startMs, spreadMs),
    ];
    await cluster.add(planned);
    await sleep(startMs + spreadMs - Date.now());
    await eventually(async () => (await cluster!.pending([QUICK, LONG])) === 0, 60_000, 'every task to be acknowledged');
    await sleep(200);

    const runs = cluster.runs();
    const counts = countTasks(planned, runs, await cluster.deadKeys([QUICK, LONG]));
    const early = runs.filter((run) => run.startMs < run.dueTimeMs);
    const worstEarlyMs = early.length > 0 ? Math.max(...early.map((run) => run.dueTimeMs - run.startMs)) : 0;
    recordScenario({ scenario: SCENARIO, ...counts, note: `${early.length} early runs (worst ${worstEarlyMs} ms), ${runs.filter((r) => r.aborted).length} aborted` });

    assert.deepEqual(lostTasks(planned, runs, new Set()), [], 'lost tasks');
    assert.deepEqual(early.map((run) => `${run.taskInfo} on ${run.incarnation.label}: ${run.dueTimeMs - run.startMs} ms early`), [], 'runs before their due time');
    assert.equal(counts.duplicates, 0, 'tasks that ran twice');
    assert.deepEqual(runs.filter((run) => run.aborted || run.attempt !== 1).map((run) => run.taskInfo), [], 'runs that lost their lease or were retried');
    for (const [label, clockSkewMs] of NODES) {
      const starts = cluster.node(label).starts;
      assert.ok(starts.every((e) => Math.abs(e.atMs - (e.realAtMs ?? 0) - clockSkewMs) < 1_000), `${label}'s clock is not shifted`);
      assert.ok(runs.some((run) => run.incarnation.label === label && run.name === QUICK), `${label} ran no task`);
    }
  });
});
