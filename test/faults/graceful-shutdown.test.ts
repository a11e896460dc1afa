// Scenario 7: stop() (what disableListener calls) while 50 tasks are running. Running handlers finish
// or are handed back within shutdownTimeoutMs; nothing is lost or run twice; the process exits by
// itself once stop() resolved and its client is closed (no timer keeps it alive).
import assert from 'node:assert/strict';
import { eventually } from '../support/nodes';
import { BASE_OPTIONS, FaultCluster, spreadTasks } from './support/fault-cluster';
import { SCHEDULING_MARGIN_MS, sleep } from './support/fault-profile';
import { markScenario, recordScenario } from './support/fault-summary';
import { countTasks, lostTasks } from './support/task-ledger';

const SCENARIO = '7. graceful shutdown';
const SCENARIO_REDIS_DOWN = '7b. stop() while Redis is down';
const FINISHING = 'finishing';
const OVERRUNNING = 'overrunning';
const SHUTDOWN_TIMEOUT_MS = 2_000;
const OPTIONS = { ...BASE_OPTIONS, concurrency: 64, leaseMs: 3_000, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS };
/** Time the stopped process gets to exit by itself: the shutdown deadline, closing, process exit. */
const EXIT_BOUND_MS = SHUTDOWN_TIMEOUT_MS + SCHEDULING_MARGIN_MS * 2;

describe(`fault ${SCENARIO}: stop() with 50 tasks running`, function () {
  this.timeout(90_000);
  let cluster: FaultCluster | undefined;
  let scenario = SCENARIO;

  afterEach(async function () {
    markScenario(scenario, this.currentTest?.state === 'passed');
    await cluster?.destroy();
    cluster = undefined;
  });

  it('finishes or hands back every running task within the deadline, then the process exits by itself', async () => {
    scenario = SCENARIO;
    cluster = await FaultCluster.start({
      options: OPTIONS,
      handlers: [
        { name: FINISHING, workMs: SHUTDOWN_TIMEOUT_MS / 2 },
        { name: OVERRUNNING, workMs: 60_000 },
      ],
    });
    const stopping = await cluster.startNode('node-stopping');
    const planned = [...spreadTasks(FINISHING, 30, Date.now(), 0), ...spreadTasks(OVERRUNNING, 20, Date.now(), 0)];
    await cluster.add(planned);
    await stopping.waitFor((events) => events.filter((e) => e.type === 'start').length === planned.length, 20_000);

    const stopAtMs = Date.now();
    stopping.requestStop();
    const exited = await stopping.waitForExit(EXIT_BOUND_MS);
    const exitMs = Date.now() - stopAtMs;
    const handedBack = Number(await cluster.client.sendCommand(['ZCARD', cluster.keys.forHandler(OVERRUNNING).due]));

    // A second node (whose handler is quick) picks up what was handed back.
    await cluster.startNode('node-after', { handlers: [{ name: FINISHING, workMs: 10 }, { name: OVERRUNNING, workMs: 10 }] });
    await eventually(async () => (await cluster!.pending([FINISHING, OVERRUNNING])) === 0, 20_000, 'the handed-back tasks to run');
    await sleep(200);
    const runs = cluster.runs();
    const counts = countTasks(planned, runs, await cluster.deadKeys([FINISHING, OVERRUNNING]));
    recordScenario({
      scenario: SCENARIO,
      ...counts,
      worstRecoveryMs: exitMs,
      note: `${handedBack} handed back; recovery = stop() to process exit (deadline ${SHUTDOWN_TIMEOUT_MS} ms)`,
    });

    assert.ok(exited, `the stopped process did not exit within ${EXIT_BOUND_MS} ms: a timer or handle keeps it alive`);
    assert.equal(stopping.exitCode, 0, 'the stopped process did not exit cleanly');
    assert.ok(stopping.events.some((e) => e.type === 'stopped'), 'stop() did not resolve');
    const firstRuns = runs.filter((run) => run.incarnation.node === stopping);
    assert.ok(firstRuns.filter((run) => run.name === FINISHING).every((run) => run.finished && !run.aborted), 'a handler within the deadline was cut short');
    assert.ok(firstRuns.filter((run) => run.name === OVERRUNNING).every((run) => run.finished && run.aborted), 'an overrunning handler did not see its signal');
    assert.equal(handedBack, 20, 'tasks handed back to Redis at the deadline');
    const rerun = runs.filter((run) => run.incarnation.node !== stopping);
    assert.deepEqual(rerun.map((run) => run.name).sort(), Array(20).fill(OVERRUNNING), 'tasks run again after the shutdown');
    assert.ok(rerun.every((run) => run.attempt === 1), 'a hand-back used an attempt');
    assert.deepEqual(lostTasks(planned, runs, new Set()), [], 'lost tasks');
    assert.equal(counts.duplicates, 0, 'tasks that ran twice');
  });

  it('stop() resolves within the shutdown deadline even when Redis is down', async () => {
    scenario = SCENARIO_REDIS_DOWN;
    cluster = await FaultCluster.start({
      redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always'],
      options: OPTIONS,
      handlers: [{ name: OVERRUNNING, workMs: 60_000 }],
    });
    const stopping = await cluster.startNode('node-stopping');
    const planned = spreadTasks(OVERRUNNING, 5, Date.now(), 0);
    await cluster.add(planned);
    await stopping.waitFor((events) => events.filter((e) => e.type === 'start').length === planned.length, 20_000);
    await cluster.redis.stop('SIGKILL');

    const stopAtMs = Date.now();
    stopping.requestStop();
    const boundMs = SHUTDOWN_TIMEOUT_MS + SCHEDULING_MARGIN_MS * 2;
    const resolved = await stopping
      .waitFor((events) => events.some((e) => e.type === 'scheduler-stopped'), boundMs)
      .then(() => true, () => false);
    const stopMs = Date.now() - stopAtMs;
    // Bring Redis back: the tasks (their leases persist with their due times) are not lost.
    await cluster.redis.launch();
    await cluster.startNode('node-after', { handlers: [{ name: OVERRUNNING, workMs: 10 }] });
    await eventually(async () => (await cluster!.pending([OVERRUNNING])) === 0, 30_000, 'the tasks to run after Redis came back');
    await sleep(200);
    const runs = cluster.runs();
    const counts = countTasks(planned, runs, await cluster.deadKeys([OVERRUNNING]));
    recordScenario({
      scenario,
      ...counts,
      worstRecoveryMs: resolved ? stopMs : undefined,
      note: resolved ? `stop() took ${stopMs} ms` : `stop() still pending after ${boundMs} ms (deadline ${SHUTDOWN_TIMEOUT_MS} ms)`,
    });
    assert.ok(resolved, `stop() did not resolve within ${boundMs} ms with Redis down (shutdownTimeoutMs ${SHUTDOWN_TIMEOUT_MS})`);
    assert.equal(counts.lost, 0, 'lost tasks');
  });
});
