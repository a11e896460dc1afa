// A rolling upgrade with a mixed fleet, every node its own process on one private redis-server:
// old nodes (the published scheduler, test/support/legacy-node.ts) keep adding and claiming the old
// way while new nodes with migrateLegacyTasks move the old key's tasks and run them.
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { legacyStagingKeys } from '../src/engine/keys';
import { RedisScheduler } from '../src/engine/scheduler';
import type { RedisClient } from './support/redis-client';
import { LEGACY_KEY, legacyAddRetry, legacyAddTask } from './support/legacy-node';
import { LegacyNodeProcess } from './support/legacy-node-process';
import { NodeProcess, eventually } from './support/nodes';
import { RedisServerProcess } from './support/redis-server';

const NAMES = ['mail', 'report'];
const BACKLOG = 200;
const ROUNDS = 10;
const PER_ROUND = 30;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const taskKey = (name: string, taskInfo: string) => `${name}\n${taskInfo}`;

describe('rolling upgrade: old nodes beside new nodes with migrateLegacyTasks', function () {
  this.timeout(120_000);
  let redis: RedisServerProcess;
  let client: RedisClient;
  let oldNodes: LegacyNodeProcess[] = [];
  let newNodes: NodeProcess[] = [];

  before(async () => {
    redis = await RedisServerProcess.start();
    client = createClient({ url: redis.url }) as RedisClient;
    await client.connect();
  });

  after(async () => {
    await Promise.all([...oldNodes.map((n) => n.kill()), ...newNodes.map((n) => n.kill())]);
    await client.close();
    await redis.destroy();
  });

  it('every task runs; new nodes run each at most once (old nodes may run one again)', async () => {
    const keyPrefix = 'test:legacy:fleet';
    const expected = new Set<string>();
    const retriesOf = new Map<string, number>();
    // What an old fleet leaves behind: due and future tasks, some after failures (RETRY-<n>:).
    const nowMs = Date.now();
    for (let i = 0; i < BACKLOG; i++) {
      const name = NAMES[i % 2];
      const taskInfo = `backlog:${i}:{"user":${i}}`;
      const dueTime = nowMs - 1_000 + (i % 20) * 100;
      const retries = i % 10 === 0 ? (i % 3) + 1 : 0;
      if (retries > 0) await legacyAddRetry(client, name, taskInfo, retries, dueTime);
      else await legacyAddTask(client, name, dueTime, taskInfo, false);
      expected.add(taskKey(name, taskInfo));
      retriesOf.set(taskKey(name, taskInfo), retries);
    }

    oldNodes = await Promise.all([1, 2].map(() => LegacyNodeProcess.start({ redisUrl: redis.url, handlers: NAMES })));
    newNodes = await Promise.all(
      [1, 2].map(() =>
        NodeProcess.start({
          redisUrl: redis.url,
          options: { keyPrefix, migrateLegacyTasks: true, safetyPollMs: 1_000, leaseMs: 5_000 },
          handlers: NAMES.map((name) => ({ name })),
        }),
      ),
    );

    // Old nodes keep adding the old way (ZADD + PUBLISH update); the first one is upgraded half-way.
    for (let round = 0; round < ROUNDS; round++) {
      if (round === ROUNDS / 2) {
        await oldNodes[0].waitFor((events) => events.filter((e) => e.type === 'added').length === round, 20_000);
        await oldNodes[0].stop();
      }
      const adders = round < ROUNDS / 2 ? oldNodes : oldNodes.slice(1);
      for (const node of adders) {
        const n = oldNodes.indexOf(node);
        const tasks = Array.from({ length: PER_ROUND }, (_, i) => {
          const name = NAMES[i % 2];
          const taskInfo = `live:${round}:${n}:${i}`;
          expected.add(taskKey(name, taskInfo));
          return { name, dueTime: Date.now() + (i % 10) * 100, taskInfo };
        });
        node.send({ type: 'add', tasks });
      }
      await sleep(150);
    }
    await oldNodes[1].waitFor((events) => events.filter((e) => e.type === 'added').length === ROUNDS, 20_000);
    await oldNodes[1].stop();

    type Run = { node: 'old' | 'new'; key: string; attempt: number };
    const runs = (): Run[] => [
      ...oldNodes.flatMap((n) => n.starts.map((s): Run => ({ node: 'old', key: taskKey(s.name, s.taskInfo), attempt: s.attempt }))),
      ...newNodes.flatMap((n) => n.starts.map((s): Run => ({ node: 'new', key: taskKey(s.name, s.taskInfo), attempt: s.attempt }))),
    ];
    const ranKeys = () => new Set(runs().map((r) => r.key));
    const missing = () => [...expected].filter((key) => !ranKeys().has(key));
    await eventually(() => missing().length === 0, 60_000, `all ${expected.size} tasks to run`).catch((err: Error) => {
      throw new Error(`${err.message}; never ran: ${JSON.stringify(missing().slice(0, 5))}…`);
    });
    await sleep(1_500); // room for a second run to show up

    const all = runs();
    const perTask = new Map<string, { old: number; new: number }>();
    for (const run of all) {
      const counts = perTask.get(run.key) ?? { old: 0, new: 0 };
      counts[run.node]++;
      perTask.set(run.key, counts);
    }
    const counts = [...perTask.values()];
    const oldAndNew = counts.filter((c) => c.old > 0 && c.new > 0).length;
    const oldOnlyTwice = counts.filter((c) => c.new === 0 && c.old > 1).length;
    console.log(
      `      ${expected.size} tasks (${BACKLOG} left by old nodes, ${expected.size - BACKLOG} added by old nodes during the upgrade): ` +
        `runs on old nodes ${all.filter((r) => r.node === 'old').length}, on new nodes ${all.filter((r) => r.node === 'new').length}; missing 0; ` +
        `more than once: ${oldAndNew} by an old and a new node (old claim racing a migration), ${oldOnlyTwice} by old nodes only (the published claim)`,
    );
    assert.deepEqual(
      counts.filter((c) => c.new > 1),
      [],
      'new nodes ran a task twice',
    );
    assert.deepEqual(
      all.filter((r) => !expected.has(r.key)),
      [],
      'a task that was never added ran',
    );
    for (const run of all.filter((r) => r.node === 'new')) {
      assert.equal(run.attempt, (retriesOf.get(run.key) ?? 0) + 1, `attempts used were not kept for ${JSON.stringify(run.key)}`);
    }
    for (const node of oldNodes) assert.deepEqual(node.errors, []);

    assert.equal(await client.exists(LEGACY_KEY), 0, 'tasks left in the legacy key');
    const staging = legacyStagingKeys(LEGACY_KEY);
    assert.equal(await client.exists([staging.moving, staging.movingUntil]), 0, 'tasks left in the staging keys');
    const fleetStats = () => new RedisScheduler(client, { keyPrefix }).getStats();
    await eventually(async () => (await fleetStats()).every((s) => s.scheduled + s.running === 0), 10_000, 'the new layout to drain');
    // Drained, the names hold nothing: getStats drops them from the registry (bounded registry, docs/buckets.md).
    assert.deepEqual(await fleetStats(), []);
  });
});
