// Recurring tasks on 3 scheduler nodes, each its own OS process, on one private redis-server.
// `npm test` runs a light profile; `npm run test:recurring` (RECURRING_PROFILE=full) the sizes.
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { RedisScheduler } from '../src/engine/scheduler';
import type { RedisClient } from './support/redis-client';
import type { RecurringSchedule } from '../src/interfaces/redis_scheduler/beta/types';
import { NodeProcess, eventually } from './support/nodes';
import type { WorkerEvent, WorkerSpec } from './support/worker';

type Start = Extract<WorkerEvent, { type: 'start' }>;

const PROFILE =
  process.env.RECURRING_PROFILE === 'full'
    ? { gridSchedules: 500, gridWindowMs: 20_000, crashSchedules: 60, downSchedules: 100, downMs: 5_000, redeploySchedules: 100, failingSchedules: 20 }
    : { gridSchedules: 100, gridWindowMs: 3_000, crashSchedules: 30, downSchedules: 50, downMs: 2_500, redeploySchedules: 50, failingSchedules: 10 };
const GRID_TICKS = PROFILE.gridWindowMs / 1_000;

const QUIET = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Due times of each taskInfo's runs, in order of due time. */
function duesBySchedule(starts: Start[]): Map<string, number[]> {
  const dues = new Map<string, number[]>();
  for (const s of starts) {
    const list = dues.get(s.taskInfo) ?? [];
    list.push(s.dueTimeMs);
    dues.set(s.taskInfo, list);
  }
  for (const list of dues.values()) list.sort((a, b) => a - b);
  return dues;
}

/** The (taskInfo, dueTimeMs) pairs that started more than once. */
function repeatedTicks(starts: Start[]): string[] {
  const seen = new Set<string>();
  const repeated: string[] = [];
  for (const s of starts) {
    const tick = `${s.taskInfo}@${s.dueTimeMs}`;
    if (seen.has(tick)) repeated.push(tick);
    seen.add(tick);
  }
  return repeated;
}

describe('recurring tasks on 3 node processes', function () {
  this.timeout(120_000);
  let client: RedisClient;
  let nodes: NodeProcess[] = [];
  let retired: NodeProcess[] = [];

  function spec(keyPrefix: string, overrides: Partial<WorkerSpec> = {}): WorkerSpec {
    return {
      redisUrl: process.env.TEST_REDIS_URL!,
      options: { keyPrefix, concurrency: 64, claimBatchSize: 64, leaseMs: 2_000, safetyPollMs: 1_000, shutdownTimeoutMs: 1_000 },
      handlers: [{ name: 'tick' }],
      ...overrides,
    };
  }

  const starts = () => [...retired, ...nodes].flatMap((node) => node.starts);

  async function redisNowMs(): Promise<number> {
    const [seconds, micros] = (await client.sendCommand(['TIME'])) as string[];
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  async function untilRedisTime(ms: number): Promise<void> {
    await sleep(Math.max(0, ms - (await redisNowMs())));
  }

  /** Adds `count` schedules `s-0..` of "tick" every `everyMs`, from `startAtMs`. */
  async function addSchedules(keyPrefix: string, count: number, schedule: RecurringSchedule): Promise<string[]> {
    const producer = new RedisScheduler(client, { keyPrefix, allowUnknownHandlers: true }, QUIET);
    const taskInfos = Array.from({ length: count }, (_, i) => `s-${i}`);
    await Promise.all(taskInfos.map((taskInfo) => producer.addRecurringTask('tick', schedule, taskInfo)));
    return taskInfos;
  }

  before(async () => {
    client = createClient({ url: process.env.TEST_REDIS_URL }) as RedisClient;
    await client.connect();
  });

  afterEach(async () => {
    await Promise.all([...nodes, ...retired].map((node) => node.kill()));
    nodes = [];
    retired = [];
  });

  after(async () => {
    await client.close();
  });

  it(`${PROFILE.gridSchedules} schedules every 1 s for ${GRID_TICKS} s (nodes with clocks 1 h off): each ran ${GRID_TICKS} ± 1 times, no tick twice`, async () => {
    const keyPrefix = 'test:recurring-nodes:grid';
    nodes = await Promise.all(
      [0, 3_600_000, -3_600_000].map((clockSkewMs) => NodeProcess.start(spec(keyPrefix, { clockSkewMs }))),
    );
    // Time to add the schedules before the first tick (10 ms each is ample even on a loaded machine).
    const leadMs = 2_000 + PROFILE.gridSchedules * 10;
    const startAtMs = (await redisNowMs()) + leadMs;
    const taskInfos = await addSchedules(keyPrefix, PROFILE.gridSchedules, { everyMs: 1_000, startAtMs });
    assert.ok((await redisNowMs()) < startAtMs, `adding the schedules took longer than ${leadMs} ms`);
    const windowEndMs = startAtMs + PROFILE.gridWindowMs;
    await untilRedisTime(windowEndMs + 1_500);
    await Promise.all(nodes.map((node) => node.stop()));

    const inWindow = starts().filter((s) => s.dueTimeMs < windowEndMs);
    assert.deepEqual(repeatedTicks(starts()), [], 'a tick ran twice');
    const dues = duesBySchedule(inWindow);
    const counts = taskInfos.map((t) => dues.get(t)?.length ?? 0);
    console.log(
      `      ${PROFILE.gridSchedules} schedules × ${GRID_TICKS} s on 3 nodes: runs per schedule ${Math.min(...counts)}..${Math.max(...counts)}, per node ${nodes.map((n) => n.starts.length).join('/')}`,
    );
    assert.ok(counts.every((n) => Math.abs(n - GRID_TICKS) <= 1), `runs per schedule ${Math.min(...counts)}..${Math.max(...counts)}`);
    assert.ok(starts().every((s) => (s.dueTimeMs - startAtMs) % 1_000 === 0), 'a tick off the grid (not on Redis time)');
    assert.ok(nodes.every((node) => node.starts.length > 0), 'a node ran no tick');
  });

  it('kill -9 of a node mid-run: the ticks it held run after their lease, no other tick is lost', async () => {
    const keyPrefix = 'test:recurring-nodes:crash';
    // Small claims spread each grid second's ticks over the nodes, so the victim holds some, not all:
    // the ticks it held run alone, one at a time, after their lease (the engine's rule for suspects).
    const slow = spec(keyPrefix, {
      options: { keyPrefix, concurrency: 16, claimBatchSize: 4, leaseMs: 2_000, safetyPollMs: 1_000 },
      handlers: [{ name: 'tick', workMs: 400 }],
    });
    nodes = await Promise.all([1, 2, 3].map(() => NodeProcess.start(slow)));
    const startAtMs = (await redisNowMs()) + 500;
    const taskInfos = await addSchedules(keyPrefix, PROFILE.crashSchedules, { everyMs: 1_000, startAtMs });
    await untilRedisTime(startAtMs + 3_200);
    const [victim, ...survivors] = nodes;
    await eventually(() => victim.starts.length >= victim.dones.length + 5, 5_000, 'the node to run ticks');
    await victim.kill();
    // Ticks of one schedule never overlap: a schedule with more starts than ends here was held.
    const ended = new Map<string, number>();
    for (const d of victim.dones) ended.set(d.taskInfo, (ended.get(d.taskInfo) ?? 0) + 1);
    const held = [...duesBySchedule(victim.starts)]
      .filter(([taskInfo, list]) => list.length > (ended.get(taskInfo) ?? 0))
      .map(([taskInfo, list]) => victim.starts.find((s) => s.taskInfo === taskInfo && s.dueTimeMs === list[list.length - 1])!);
    nodes = survivors;
    retired = [victim];
    assert.ok(held.length > 0, 'the node held no tick when killed');
    const survivorStarts = () => survivors.flatMap((node) => node.starts);
    const reran = (tick: Start) => survivorStarts().some((s) => s.taskInfo === tick.taskInfo && s.dueTimeMs === tick.dueTimeMs && s.attempt > tick.attempt);
    await eventually(() => held.every(reran), 30_000, `the ${held.length} held ticks to run again`);
    const reranAtMs = await redisNowMs();
    await untilRedisTime(reranAtMs + 3_000);
    await Promise.all(survivors.map((node) => node.stop()));

    for (const tick of held) {
      assert.ok(reran(tick), `held tick ${tick.taskInfo}@${tick.dueTimeMs} did not run again`);
    }
    // Only ticks that started on the killed node ran twice (once there, once after their lease).
    const victimTicks = new Set(victim.starts.map((s) => `${s.taskInfo}@${s.dueTimeMs}`));
    assert.deepEqual(repeatedTicks(starts()).filter((t) => !victimTicks.has(t)), []);
    // Nothing vanishes silently: every grid point missing between two runs (or before the next
    // tick) was coalesced into a run and counted. While the held ticks ran alone, the others waited
    // and may have been coalesced; once they had run, every schedule was back on its grid.
    const dues = duesBySchedule(starts());
    const listed = await new RedisScheduler(client, { keyPrefix, allowUnknownHandlers: true }, QUIET).getRecurringTasks('tick');
    for (const { taskInfo, nextDueMs, coalescedTicks } of listed) {
      const list = [...new Set(dues.get(taskInfo))];
      if (nextDueMs !== null) list.push(nextDueMs);
      assert.equal(list[0], startAtMs, `${taskInfo} missed its first tick`);
      let missing = 0;
      for (let i = 1; i < list.length; i++) {
        const gap = (list[i] - list[i - 1]) / 1_000 - 1;
        assert.ok(gap === 0 || list[i - 1] < reranAtMs, `${taskInfo} skipped ticks after the held ticks had run: ${list.join(', ')}`);
        missing += gap;
      }
      assert.equal(missing, coalescedTicks, `${taskInfo}: ${missing} grid points missing, ${coalescedTicks} counted as coalesced`);
      assert.ok(list[list.length - 1] >= reranAtMs + 1_000, `${taskInfo} stopped ticking after the kill`);
    }
  });

  it(`all nodes stopped for ${PROFILE.downMs / 1_000} s, then restarted: one catch-up run per schedule, then back on the grid`, async () => {
    const keyPrefix = 'test:recurring-nodes:downtime';
    nodes = await Promise.all([1, 2, 3].map(() => NodeProcess.start(spec(keyPrefix))));
    const startAtMs = (await redisNowMs()) + 500;
    const taskInfos = await addSchedules(keyPrefix, PROFILE.downSchedules, { everyMs: 1_000, startAtMs });
    await untilRedisTime(startAtMs + 1_500);
    await Promise.all(nodes.map((node) => node.stop()));
    retired = nodes;
    const stoppedAtMs = await redisNowMs();
    await sleep(PROFILE.downMs);
    const restartedAtMs = await redisNowMs();
    nodes = await Promise.all([1, 2, 3].map(() => NodeProcess.start(spec(keyPrefix))));
    await sleep(2_500);
    await Promise.all(nodes.map((node) => node.stop()));

    assert.deepEqual(repeatedTicks(starts()), [], 'a tick ran twice');
    const after = duesBySchedule(nodes.flatMap((node) => node.starts));
    for (const taskInfo of taskInfos) {
      const list = after.get(taskInfo) ?? [];
      const catchUps = list.filter((due) => due < restartedAtMs);
      assert.equal(catchUps.length, 1, `${taskInfo}: ${catchUps.length} runs of ticks missed while down (${list.join(', ')})`);
      assert.ok(catchUps[0] <= stoppedAtMs + 1_000, `${taskInfo}: the catch-up is not the tick that was due while down`);
      const onGrid = list.slice(1);
      assert.ok(onGrid.length >= 2, `${taskInfo}: no tick after the catch-up`);
      assert.ok(onGrid[0] > restartedAtMs, `${taskInfo}: a second tick missed while down ran`);
      for (let i = 1; i < onGrid.length; i++) assert.equal(onGrid[i] - onGrid[i - 1], 1_000, `${taskInfo}: off the grid ${onGrid.join(', ')}`);
      assert.ok(list.every((due) => (due - startAtMs) % 1_000 === 0));
    }
    const producer = new RedisScheduler(client, { keyPrefix, allowUnknownHandlers: true }, QUIET);
    const [stats] = await producer.getStats();
    assert.equal(stats.recurring, PROFILE.downSchedules);
    assert.ok(stats.coalescedTicks >= PROFILE.downSchedules * Math.floor(PROFILE.downMs / 1_000 - 1), `coalesced ${stats.coalescedTicks}`);
  });

  it('redeploy: 3 new nodes call addRecurringTask again at start while the old ones stop, and nothing changes', async () => {
    const keyPrefix = 'test:recurring-nodes:redeploy';
    const recurring = Array.from({ length: PROFILE.redeploySchedules }, (_, i) => ({ name: 'tick', schedule: { everyMs: 1_000 }, taskInfo: `s-${i}` }));
    const deploy = () => NodeProcess.start(spec(keyPrefix, { recurring }));
    const written = (node: NodeProcess) => node.events.reduce((sum, e) => sum + (e.type === 'recurring-added' ? e.written : 0), 0);
    nodes = await Promise.all([1, 2, 3].map(deploy));
    assert.equal(nodes.reduce((sum, node) => sum + written(node), 0), PROFILE.redeploySchedules, 'nodes racing at the first deploy wrote each schedule once');
    const producer = new RedisScheduler(client, { keyPrefix, allowUnknownHandlers: true }, QUIET);
    const before = await producer.getRecurringTasks('tick');
    await sleep(2_000);
    // One after another, as a rolling deploy does (and lighter on a loaded machine than 3 at once).
    retired = nodes;
    nodes = [];
    for (let i = 0; i < 3; i++) nodes.push(await deploy());
    assert.deepEqual(nodes.map(written), [0, 0, 0], 'a redeployed node rewrote a schedule');
    await Promise.all(retired.map((node) => node.stop()));
    await sleep(2_000);
    await Promise.all(nodes.map((node) => node.stop()));

    const afterwards = await producer.getRecurringTasks('tick');
    assert.deepEqual(afterwards.map((t) => t.schedule), before.map((t) => t.schedule));
    assert.deepEqual(repeatedTicks(starts()), [], 'a tick ran twice');
    for (const [taskInfo, list] of duesBySchedule(starts())) {
      assert.ok(list.length >= 4, `${taskInfo} ran ${list.length} times`);
      for (let i = 1; i < list.length; i++) assert.equal(list[i] - list[i - 1], 1_000, `${taskInfo}: reset or gap ${list.join(', ')}`);
    }
  });

  it('a failing tick goes through its retries to the dead set, and the next tick is still on time', async () => {
    const keyPrefix = 'test:recurring-nodes:failing';
    const failing = spec(keyPrefix, {
      options: { keyPrefix, leaseMs: 2_000, safetyPollMs: 1_000, maxRetries: 1, retryDelayMs: 200 },
      handlers: [{ name: 'tick', failUntilAttempt: 99 }],
    });
    nodes = await Promise.all([1, 2, 3].map(() => NodeProcess.start(failing)));
    const startAtMs = (await redisNowMs()) + 500;
    const taskInfos = await addSchedules(keyPrefix, PROFILE.failingSchedules, { everyMs: 1_000, startAtMs });
    await untilRedisTime(startAtMs + 3_500);
    await Promise.all(nodes.map((node) => node.stop()));

    const all = starts();
    for (const taskInfo of taskInfos) {
      const firstAttempts = all.filter((s) => s.taskInfo === taskInfo && s.attempt === 1).map((s) => s.dueTimeMs).sort((a, b) => a - b);
      assert.deepEqual(firstAttempts.slice(0, 3), [0, 1, 2].map((k) => startAtMs + k * 1_000), `${taskInfo} ticks ${firstAttempts.join(', ')}`);
      assert.ok(all.filter((s) => s.taskInfo === taskInfo && s.attempt === 2).length >= 2, `${taskInfo} was not retried`);
    }
    const producer = new RedisScheduler(client, { keyPrefix, allowUnknownHandlers: true }, QUIET);
    assert.equal((await producer.getDeadTasks('tick', 100)).length, PROFILE.failingSchedules);
    assert.ok((await producer.getRecurringTasks('tick')).every((t) => t.lastOutcome === 'dead'));
  });
});
