// Scenario 5: handlers that run 3x the lease time. Renewal must keep them from running twice; a node
// paused (SIGSTOP) for longer than its lease loses it: its handler sees its AbortSignal and its late
// acknowledgement is refused, while the node that took the task over finishes it undisturbed.
import assert from 'node:assert/strict';
import { eventually } from '../support/nodes';
import { BASE_OPTIONS, FaultCluster, spreadTasks } from './support/fault-cluster';
import { byProfile, recoveryBoundMs, sleep } from './support/fault-profile';
import { markScenario, recordScenario } from './support/fault-summary';
import { countTasks, lostTasks, type PlannedTask } from './support/task-ledger';

const SCENARIO_RENEW = '5a. long handlers (3x lease)';
const SCENARIO_STALL = '5b. lease lost (SIGSTOP)';
const LEASE_MS = 1_000;
const OPTIONS = { ...BASE_OPTIONS, leaseMs: LEASE_MS, safetyPollMs: 500, maxRetries: 3 };
const LONG = 'long';
/** One name for both stalled tasks, so the rescuer's first claim reclaims both expired leases at once. */
const STALL = 'stall';
/** Still running when the paused node resumes: its renewal finds the lease gone and fires the signal. */
const RUNNING_INFO = 'running-when-resumed';
/** Done by the time the paused node resumes: its acknowledgement arrives after another node took over. */
const DONE_INFO = 'done-when-resumed';
const PAUSE_MS = LEASE_MS * 3;
const STALL_RUNNING_WORK_MS = PAUSE_MS + LEASE_MS * 4;

const countMatches = (lines: string[], pattern: RegExp): number => lines.filter((line) => pattern.test(line)).length;

describe('fault 5. long handlers', function () {
  this.timeout(120_000);
  let cluster: FaultCluster | undefined;
  let scenario = '';

  afterEach(async function () {
    markScenario(scenario, this.currentTest?.state === 'passed');
    await cluster?.destroy();
    cluster = undefined;
  });

  it('renews the lease of handlers running 3x the lease time: none runs twice', async () => {
    scenario = SCENARIO_RENEW;
    cluster = await FaultCluster.start({ options: OPTIONS, handlers: [{ name: LONG, workMs: LEASE_MS * 3 }] });
    for (const label of ['node-1', 'node-2']) await cluster.startNode(label);
    const planned = spreadTasks(LONG, byProfile(40, 120), Date.now(), byProfile(2_000, 6_000));
    await cluster.add(planned);
    await eventually(async () => (await cluster!.pending([LONG])) === 0, 90_000, 'every task to be acknowledged');
    await sleep(200);
    const runs = cluster.runs();
    const counts = countTasks(planned, runs, await cluster.deadKeys([LONG]));
    recordScenario({ scenario, ...counts, note: `work ${LEASE_MS * 3} ms, lease ${LEASE_MS} ms` });

    assert.deepEqual(lostTasks(planned, runs, new Set()), [], 'lost tasks');
    assert.equal(runs.length, planned.length, 'runs');
    assert.equal(counts.duplicates, 0, 'tasks that ran twice');
    assert.deepEqual(runs.filter((run) => run.aborted || run.attempt !== 1).map((run) => run.taskInfo), [], 'runs that lost their lease');
  });

  it('a paused node loses its lease: its handler is aborted, its late acknowledgement refused, state intact', async () => {
    scenario = SCENARIO_STALL;
    cluster = await FaultCluster.start({
      options: OPTIONS,
      handlers: [{ name: STALL, workMsByTaskInfo: { [RUNNING_INFO]: STALL_RUNNING_WORK_MS, [DONE_INFO]: LEASE_MS }, ignoreAbort: true }],
    });
    const stalled = await cluster.startNode('node-stalled', { forwardLogs: true });
    const planned: PlannedTask[] = [
      { name: STALL, taskInfo: RUNNING_INFO, dueTimeMs: Date.now() },
      { name: STALL, taskInfo: DONE_INFO, dueTimeMs: Date.now() },
    ];
    await cluster.add(planned);
    await stalled.waitFor((events) => events.filter((e) => e.type === 'start').length === 2, 10_000);
    stalled.signal('SIGSTOP');
    const pausedAtMs = Date.now();
    const rescuer = await cluster.startNode('node-rescuer');
    // Resume once the rescuer runs the long task (and the pause outlasted the lease 3x), while the
    // paused node's copy of it is still running; the short one may be taken over before or after.
    const takeoverBoundMs = recoveryBoundMs(LEASE_MS, OPTIONS.safetyPollMs) + 5_000;
    await rescuer.waitFor((events) => events.some((e) => e.type === 'start' && e.taskInfo === RUNNING_INFO), takeoverBoundMs);
    await sleep(Math.max(0, pausedAtMs + PAUSE_MS - Date.now()));
    stalled.signal('SIGCONT');
    // The other task is taken over by the rescuer or, once resumed, by the paused node itself (a node
    // may run two taken-over tasks one after the other: allow for the long one's work).
    const takeovers = () => cluster!.runs().filter((run) => run.attempt === 2);
    await eventually(() => takeovers().length === 2, takeoverBoundMs + STALL_RUNNING_WORK_MS, 'both tasks to be taken over');
    const takeoverMs = Math.max(...takeovers().map((run) => run.startMs - pausedAtMs));

    await stalled.waitFor((events) => events.filter((e) => e.type === 'done').length === 2, 20_000);
    await eventually(async () => (await cluster!.pending([STALL])) === 0, 30_000, 'the rescuer to finish');
    await sleep(500);
    const runs = cluster.runs();
    const logs = stalled.events.flatMap((e) => (e.type === 'log' ? [e.message] : []));
    const counts = countTasks(planned, runs, await cluster.deadKeys([STALL]), new Set([STALL]));
    recordScenario({ scenario, ...counts, worstRecoveryMs: takeoverMs, note: `paused runs count as duplicates (expected); late outcomes: ${countMatches(logs, /refused/)} ack refused, ${countMatches(logs, /discarded/)} discarded; recovery = pause to takeover` });

    const stalledRuns = runs.filter((run) => run.incarnation.node === stalled && run.attempt === 1);
    const takeoverRuns = runs.filter((run) => run.attempt === 2);
    assert.equal(stalledRuns.length, 2, 'first runs on the paused node');
    assert.equal(takeoverRuns.length, 2, 'takeover runs');
    assert.ok(takeoverRuns.some((run) => run.incarnation.node === rescuer), 'the rescuer took nothing over');
    assert.ok(takeoverRuns.every((run) => run.finished && !run.aborted), 'a takeover run was aborted');
    const stillRunning = stalledRuns.find((run) => run.taskInfo === RUNNING_INFO)!;
    assert.ok(stillRunning.aborted, 'the handler still running when its node resumed did not see its AbortSignal');
    assert.ok(
      logs.some((line) => /refused|outcome is discarded/.test(line)),
      `the late outcome was neither refused nor discarded; logs: ${logs.join(' | ')}`,
    );
    assert.equal(counts.lost, 0, 'lost tasks');
    assert.equal(counts.dead, 0, 'dead tasks');
    assert.equal(runs.length, 4, 'a third run happened');
    // Drained: only the bucket count is left (getStats dropped the emptied names from the registry).
    assert.deepEqual((await cluster.scanKeys()).filter((key) => key !== cluster!.keys.names), [cluster.keys.bucketsKey], 'keys left under the prefix (corrupted state)');
  });
});
