// Scenario 3d: the connection drops after Redis ran a claim but before its reply reached the node
// (a TCP proxy drops the reply). The lease exists in Redis, no handler runs; the task must still run.
import assert from 'node:assert/strict';
import { eventually } from '../support/nodes';
import { BASE_OPTIONS, FaultCluster } from './support/fault-cluster';
import { recoveryBoundMs, sleep } from './support/fault-profile';
import { FaultProxy } from './support/fault-proxy';
import { markScenario, recordScenario } from './support/fault-summary';
import { countTasks, type PlannedTask } from './support/task-ledger';

const SCENARIO = '3d. claim reply lost';
const NAME = 'lost-reply';
const LEASE_MS = 1_000;

describe(`fault ${SCENARIO}: the reply of a claim is lost after Redis ran it`, function () {
  this.timeout(60_000);
  let cluster: FaultCluster | undefined;
  let proxy: FaultProxy | undefined;

  afterEach(async function () {
    markScenario(SCENARIO, this.currentTest?.state === 'passed');
    await cluster?.destroy();
    await proxy?.close();
    cluster = undefined;
    proxy = undefined;
  });

  for (const maxRetries of [0, 2]) {
    it(`runs the task anyway, without spending an attempt (maxRetries ${maxRetries})`, async () => {
      const options = { ...BASE_OPTIONS, leaseMs: LEASE_MS, safetyPollMs: 500, maxRetries };
      cluster = await FaultCluster.start({ options, handlers: [{ name: NAME, workMs: 10 }] });
      proxy = await FaultProxy.start(cluster.redis.port);
      await cluster.startNode('node-proxied', { redisUrl: proxy.url });
      await sleep(300);
      const dropped = proxy.dropNextLeasingClaimReply();
      const task: PlannedTask = { name: NAME, taskInfo: `claimed-in-the-dark-${maxRetries}`, dueTimeMs: Date.now() };
      await cluster.add([task]);
      await dropped;
      const settleMs = recoveryBoundMs(LEASE_MS, options.safetyPollMs) * 2;
      await eventually(async () => (await cluster!.pending([NAME])) === 0, settleMs + 10_000, 'the task to leave the queue');
      await sleep(300);
      const runs = cluster.runs();
      const dead = await cluster.deadKeys([NAME]);
      const counts = countTasks([task], runs, dead);
      recordScenario({
        scenario: `${SCENARIO} (maxRetries ${maxRetries})`,
        ...counts,
        passed: runs.length === 1 && runs[0].attempt === 1 && dead.size === 0,
        note: dead.size > 0 ? 'dead-lettered without ever running' : `ran as attempt ${runs.map((r) => r.attempt).join(',')}`,
      });
      assert.equal(dead.size, 0, 'the task went to the dead set without ever running');
      assert.equal(runs.length, 1, 'runs');
      assert.equal(runs[0].attempt, 1, 'a lost claim reply used up an attempt');
    });
  }
});
