// Scenario 3: CLIENT KILL of the nodes' command and subscriber connections during a run, a wake-up
// published while the subscribers are down, and a node whose subscriber cannot come back at all.
import assert from 'node:assert/strict';
import { eventually } from '../support/nodes';
import { BASE_OPTIONS, FaultCluster, spreadTasks } from './support/fault-cluster';
import { byProfile, safetyPollBoundMs, sleep } from './support/fault-profile';
import { markScenario, recordScenario } from './support/fault-summary';
import { killConnection, killSubscribers, nodeConnections } from './support/redis-connections';
import { countTasks, lostTasks, type PlannedTask } from './support/task-ledger';

const SCENARIO_RANDOM = '3a. dropped connections';
const SCENARIO_WAKE = '3b. lost wake-ups';
const SCENARIO_NO_SUB = '3c. subscriber gone for good';
const NAME = 'drop';
const NODE_LABELS = ['node-1', 'node-2'];
const OPTIONS = { ...BASE_OPTIONS, leaseMs: 2_000, safetyPollMs: 2_000, maxRetries: 10 };
const PROBES = byProfile(3, 8);

/** CLIENT KILLs a random node connection every 100-400 ms until `untilMs`; returns [command, subscriber] kills. */
async function dropRandomly(cluster: FaultCluster, untilMs: number): Promise<[number, number]> {
  const kills: [number, number] = [0, 0];
  for (let round = 0; round < 500 && Date.now() < untilMs; round++) {
    await sleep(100 + Math.random() * 300);
    const connections = await nodeConnections(cluster.client);
    const victim = connections[Math.floor(Math.random() * connections.length)];
    if (victim && (await killConnection(cluster.client, victim.id))) kills[victim.subscriber ? 1 : 0]++;
  }
  return kills;
}

/** Adds one task due shortly on an idle cluster right after `fault`; resolves to its start delay past due. */
async function probeLateness(cluster: FaultCluster, taskInfo: string, fault: () => Promise<unknown>): Promise<number> {
  await fault();
  const task: PlannedTask = { name: NAME, taskInfo, dueTimeMs: Date.now() + 100 };
  await cluster.add([task]);
  const boundMs = safetyPollBoundMs(OPTIONS.safetyPollMs) * 3;
  await eventually(() => cluster.runs().some((run) => run.taskInfo === taskInfo), boundMs, `${taskInfo} to run`);
  const run = cluster.runs().find((r) => r.taskInfo === taskInfo)!;
  return run.startMs - task.dueTimeMs;
}

describe('fault 3. dropped connections and lost wake-ups', function () {
  this.timeout(120_000);
  let cluster: FaultCluster | undefined;
  let scenario = '';

  beforeEach(async () => {
    cluster = await FaultCluster.start({ options: OPTIONS, handlers: [{ name: NAME, workMs: 50 }] });
    for (const label of NODE_LABELS) await cluster.startNode(label);
  });

  afterEach(async function () {
    markScenario(scenario, this.currentTest?.state === 'passed');
    await cluster?.client.sendCommand(['ACL', 'SETUSER', 'default', '+@all']).catch(() => undefined);
    await cluster?.destroy();
    cluster = undefined;
  });

  it('CLIENT KILL of command and subscriber connections at random loses no task and runs none twice', async () => {
    scenario = SCENARIO_RANDOM;
    const spreadMs = byProfile(4_000, 10_000);
    const startMs = Date.now() + 300;
    const planned = spreadTasks(NAME, byProfile(200, 800), startMs, spreadMs);
    await cluster!.add(planned);
    const [commandKills, subscriberKills] = await dropRandomly(cluster!, startMs + spreadMs);
    await eventually(async () => (await cluster!.pending([NAME])) === 0, 60_000, 'every task to be acknowledged');
    await sleep(200);
    const runs = cluster!.runs();
    const dead = await cluster!.deadKeys([NAME]);
    const counts = countTasks(planned, runs, dead);
    recordScenario({ scenario, ...counts, note: `${commandKills} command + ${subscriberKills} subscriber connections killed` });

    assert.ok(commandKills + subscriberKills > 5, `only ${commandKills + subscriberKills} connections were killed`);
    assert.deepEqual(lostTasks(planned, runs, dead), [], 'lost tasks');
    assert.equal(counts.dead, 0, 'tasks in the dead set');
    assert.equal(counts.duplicates, 0, 'tasks that ran twice');
    assert.ok(NODE_LABELS.every((label) => cluster!.node(label).isAlive), 'a node died');
    // Drained: only the bucket count is left (getStats dropped the emptied names from the registry).
    assert.deepEqual((await cluster!.scanKeys()).filter((key) => key !== cluster!.keys.names), [cluster!.keys.bucketsKey], 'keys left under the prefix');
  });

  it('a wake-up published while the subscribers are down still runs the task within the safety poll', async () => {
    scenario = SCENARIO_WAKE;
    await sleep(500);
    const latenessMs: number[] = [];
    for (let i = 0; i < PROBES; i++) {
      latenessMs.push(await probeLateness(cluster!, `lost-wake-${i}`, () => killSubscribers(cluster!.client)));
      await sleep(Math.random() * 500);
    }
    const worst = Math.max(...latenessMs);
    const planned = latenessMs.map((_, i) => ({ name: NAME, taskInfo: `lost-wake-${i}`, dueTimeMs: 0 }));
    await eventually(async () => (await cluster!.pending([NAME])) === 0, 10_000, 'acknowledgements');
    recordScenario({ scenario, ...countTasks(planned, cluster!.runs(), new Set()), worstRecoveryMs: worst, note: `lateness past due, ${PROBES} probes` });
    const boundMs = safetyPollBoundMs(OPTIONS.safetyPollMs);
    assert.ok(worst <= boundMs, `a task ran ${worst} ms after its due time (bound: one safety poll, ${boundMs} ms)`);
    assert.ok(latenessMs.every((ms) => ms >= 0), `a task ran before its due time: ${latenessMs.join(', ')}`);
  });

  it('a node whose subscriber cannot reconnect still serves tasks (no silent hang)', async () => {
    scenario = SCENARIO_NO_SUB;
    await cluster!.client.sendCommand(['ACL', 'SETUSER', 'default', '-subscribe', '-psubscribe', '-ssubscribe']);
    await killSubscribers(cluster!.client);
    await sleep(500);
    const subscribed = (await nodeConnections(cluster!.client)).filter((c) => c.subscriber);
    assert.deepEqual(subscribed, [], 'a subscriber came back despite the ACL');
    const latenessMs: number[] = [];
    for (let i = 0; i < PROBES; i++) {
      latenessMs.push(await probeLateness(cluster!, `no-sub-${i}`, async () => undefined));
      await sleep(Math.random() * 500);
    }
    const worst = Math.max(...latenessMs);
    const planned = latenessMs.map((_, i) => ({ name: NAME, taskInfo: `no-sub-${i}`, dueTimeMs: 0 }));
    await eventually(async () => (await cluster!.pending([NAME])) === 0, 10_000, 'acknowledgements');
    recordScenario({ scenario, ...countTasks(planned, cluster!.runs(), new Set()), worstRecoveryMs: worst, note: `lateness past due, ${PROBES} probes` });
    const boundMs = safetyPollBoundMs(OPTIONS.safetyPollMs);
    assert.ok(worst <= boundMs, `a task ran ${worst} ms after its due time (bound: one safety poll, ${boundMs} ms)`);
    assert.ok(NODE_LABELS.every((label) => cluster!.node(label).isAlive), 'a node died');
  });
});
