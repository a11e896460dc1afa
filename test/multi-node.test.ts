// Several scheduler nodes as separate OS processes on one private redis-server.
import assert from 'node:assert/strict';
import { recordedKeySpace } from './support/recorded-keys';
import { createRedisPort } from '../src/engine/redis/detect-client';
import { RedisScheduler } from '../src/engine/scheduler';
import { connectTarget, targetFromEnv, type TestConnection } from './support/redis-target';
import { NodeProcess, eventually } from './support/nodes';
import type { WorkerSpec } from './support/worker';

const TASKS = 2_000;

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** Field names of a HGETALL reply: a flat array (RESP2, raw commands) or an object. */
function hashFields(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.filter((_, i) => i % 2 === 0).map(String) : Object.keys(reply as object);
}

const target = targetFromEnv();

describe(`several node processes (${target.client}, ${target.topology})`, function () {
  this.timeout(120_000);
  let connection: TestConnection;
  let producer: RedisScheduler;
  let nodes: NodeProcess[] = [];

  function spec(keyPrefix: string, overrides: Partial<WorkerSpec> = {}): WorkerSpec {
    return {
      redisUrl: target.urls[0],
      target,
      options: { keyPrefix, concurrency: 16, leaseMs: 2_000, safetyPollMs: 1_000 },
      handlers: [{ name: 'work' }],
      ...overrides,
    };
  }

  const allStarts = () => nodes.flatMap((node) => node.starts);

  before(async () => {
    connection = await connectTarget(target);
  });

  afterEach(async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    nodes = [];
  });

  after(async () => {
    await connection.close();
  });

  it(`3 nodes, ${TASKS} tasks due at the same moment: every task runs exactly once`, async () => {
    const keyPrefix = 'test:multi:once';
    producer = new RedisScheduler(connection.client, { keyPrefix, allowUnknownHandlers: true });
    nodes = await NodeProcess.startAll([1, 2, 3].map(() => spec(keyPrefix)));
    const dueTimeMs = Date.now() + 1_500;
    const taskInfos = Array.from({ length: TASKS }, (_, i) => `task-${i}`);
    await producer.addTasks(taskInfos.map((taskInfo) => ({ name: 'work', dueTimeMs, taskInfo })));

    await eventually(() => allStarts().length >= TASKS, 60_000, `${TASKS} runs`);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // room for a duplicate to show up
    const counts = countBy(allStarts().map((s) => s.taskInfo));
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    const missing = taskInfos.filter((t) => !counts.has(t)).length;
    console.log(
      `      ${TASKS} tasks on 3 nodes: runs per node ${nodes.map((n) => n.starts.length).join('/')}, duplicates ${duplicates}, missing ${missing}`,
    );
    assert.equal(duplicates, 0);
    assert.equal(missing, 0);
    assert.equal(allStarts().length, TASKS);
    assert.ok(allStarts().every((s) => s.atMs >= dueTimeMs), 'a task ran before its due time');
    const stats = await producer.getStats();
    assert.deepEqual(stats, [{ name: 'work', scheduled: 0, running: 0, dead: 0, handledHere: false, overdue: 0, oldestOverdueMs: 0, retrying: 0, nextDueMs: null, paused: false, recurring: 0, coalescedTicks: 0 }]);
  });

  it('kill -9 of a node holding leases: its tasks run on another node after the lease time, none is lost', async () => {
    const keyPrefix = 'test:multi:crash';
    const leaseMs = 2_000;
    producer = new RedisScheduler(connection.client, { keyPrefix, allowUnknownHandlers: true });
    const slow = (overrides: Partial<WorkerSpec> = {}) =>
      spec(keyPrefix, { handlers: [{ name: 'work', workMs: 300 }], ...overrides });
    nodes = await NodeProcess.startAll([1, 2, 3].map(() => slow()));
    const taskInfos = Array.from({ length: 600 }, (_, i) => `crash-${i}`);
    await producer.addTasks(taskInfos.map((taskInfo) => ({ name: 'work', dueTimeMs: Date.now(), taskInfo })));

    const victim = nodes[0];
    await eventually(() => victim.starts.length >= 20, 30_000, 'the victim to be running tasks');
    await victim.kill();
    const killedAtMs = Date.now();
    // the victim's leases are the claims on tasks it started: the only ones allowed to run twice
    const startedOnVictim = new Set(victim.starts.map((s) => s.taskInfo));
    const port = createRedisPort(connection.client);
    const claims: string[] = [];
    for (const { claims: key } of (await recordedKeySpace(port, keyPrefix)).allBuckets('work')) claims.push(...hashFields(await port.send(['HGETALL', key], key)));
    const inFlight = claims.filter((t) => startedOnVictim.has(t));
    assert.ok(inFlight.length > 0, 'the victim held no lease when killed');

    const survivors = nodes.slice(1);
    const doneElsewhere = () => new Set(survivors.flatMap((n) => n.dones.map((d) => d.taskInfo)));
    await eventually(() => inFlight.every((t) => doneElsewhere().has(t)), 30_000, "the victim's tasks to run elsewhere");
    const recoveredAtMs = Math.max(
      ...inFlight.map((t) => survivors.flatMap((n) => n.starts).find((s) => s.taskInfo === t)!.atMs),
    );
    const finishedOnVictim = new Set(victim.dones.map((d) => d.taskInfo));
    await eventually(() => taskInfos.every((t) => finishedOnVictim.has(t) || doneElsewhere().has(t)), 60_000, 'every task to finish');

    const runs = countBy([...victim.starts, ...survivors.flatMap((n) => n.starts)].map((s) => s.taskInfo));
    const duplicated = [...runs].filter(([, n]) => n > 1).map(([t]) => t);
    console.log(
      `      kill -9 with ${inFlight.length} leased tasks: all ran elsewhere ${recoveredAtMs - killedAtMs} ms after the kill (lease ${leaseMs} ms); ` +
        `duplicates ${duplicated.length} (all in flight on the victim: ${duplicated.every((t) => inFlight.includes(t))}), lost ${taskInfos.filter((t) => !runs.has(t)).length}`,
    );
    assert.ok(
      survivors.flatMap((n) => n.starts).filter((s) => inFlight.includes(s.taskInfo)).every((s) => s.atMs >= killedAtMs),
      'a leased task ran elsewhere while its lease was live',
    );
    assert.ok(duplicated.every((t) => inFlight.includes(t)), 'a task that was not in flight on the victim ran twice');
    assert.equal(taskInfos.filter((t) => !runs.has(t)).length, 0);
    const stats = await producer.getStats();
    assert.deepEqual(stats, [{ name: 'work', scheduled: 0, running: 0, dead: 0, handledHere: false, overdue: 0, oldestOverdueMs: 0, retrying: 0, nextDueMs: null, paused: false, recurring: 0, coalescedTicks: 0 }]);
  });

  it('a stopped node exits by itself: stop() leaves no timer or connection behind', async () => {
    const keyPrefix = 'test:multi:exit';
    const node = await NodeProcess.start(spec(keyPrefix));
    nodes = [node];
    node.send({ type: 'stop' }); // the worker stops the scheduler, closes its client and lets go of IPC
    await eventually(() => !node.isAlive, 15_000, 'the process to exit on its own');
    assert.ok(node.events.some((e) => e.type === 'stopped'));
  });
});
