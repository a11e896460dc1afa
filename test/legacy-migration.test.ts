// Upgrade from the published AntelopeJS scheduler: its sorted set `SchedulerUtil.Tasks`, written here
// exactly as it writes it (test/support/legacy-node.ts), moved into this module's keys.
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { KeySpace, legacyStagingKeys } from '../src/engine/keys';
import { RedisScheduler, type SchedulerLogger, type TaskContext } from '../src/engine/scheduler';
import { createRedisPort } from '../src/engine/redis/detect-client';
import { LuaScript } from '../src/engine/redis/script-runner';
import type { RedisClient } from './support/redis-client';
import type { SchedulerOptions } from '../src/engine/options';
import { LEGACY_KEY, legacyAddRetry, legacyAddTask, legacyMember } from './support/legacy-node';
import { NodeProcess, eventually } from './support/nodes';
import { RedisServerProcess } from './support/redis-server';
import type { WorkerEvent } from './support/worker';

const STAGING = legacyStagingKeys(LEGACY_KEY);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A logger that keeps the warnings. */
function recordingLogger(): SchedulerLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (...args) => warnings.push(args.join(' ')), error: () => undefined, info: () => undefined, debug: () => undefined };
}

describe('upgrade from the published scheduler (SchedulerUtil.Tasks)', function () {
  this.timeout(60_000);
  let redis: RedisServerProcess;
  let client: RedisClient;
  let engines: RedisScheduler[] = [];
  let prefixSeq = 0;

  /** An engine on its own key prefix; stopped after the test. */
  function engine(options: Partial<SchedulerOptions> = {}, log: SchedulerLogger = recordingLogger()): RedisScheduler {
    const created = new RedisScheduler(client, { keyPrefix: `test:legacy:${++prefixSeq}`, allowUnknownHandlers: true, ...options }, log);
    engines.push(created);
    return created;
  }

  /** What the new layout holds for one name: taskInfo -> [due time, attempts used]. */
  async function layout(scheduler: RedisScheduler, name: string): Promise<Map<string, [number, number]>> {
    const keys = new KeySpace(scheduler.settings.keyPrefix).forHandler(name);
    const due = await client.zRangeWithScores(keys.due, 0, -1);
    const attempts = (await client.hGetAll(keys.attempts)) as Record<string, string>;
    return new Map(due.map(({ value, score }): [string, [number, number]] => [String(value), [Number(score), Number(attempts[String(value)] ?? 0)]]));
  }

  async function legacyMembers(): Promise<string[]> {
    return ((await client.sendCommand(['ZRANGE', LEGACY_KEY, '0', '-1'])) as string[]).sort();
  }

  async function stagingIsEmpty(): Promise<boolean> {
    return (await client.exists([STAGING.moving, STAGING.movingUntil])) === 0;
  }

  before(async () => {
    redis = await RedisServerProcess.start();
    client = createClient({ url: redis.url }) as RedisClient;
    await client.connect();
  });

  afterEach(async () => {
    await Promise.all(engines.map((e) => e.stop()));
    engines = [];
    await client.del([LEGACY_KEY, STAGING.moving, STAGING.movingUntil]);
  });

  after(async () => {
    await client.close();
    await redis.destroy();
  });

  it('moves every task, keeping its due time and counting RETRY-<n> as n attempts used', async () => {
    const nowMs = Date.now();
    const written = [
      { name: 'mail', taskInfo: '{"to":"ann@example.com","at":"12:30:00"}', dueTime: nowMs - 60_000, retries: 0 },
      { name: 'mail', taskInfo: 'user:42:welcome', dueTime: nowMs + 3_600_000, retries: 0 },
      { name: 'mail', taskInfo: 'retry:me:twice', dueTime: nowMs + 5_000, retries: 2 },
      { name: 'report', taskInfo: 'line 1\nline 2: total', dueTime: nowMs + 86_400_000, retries: 1 },
      { name: 'report', taskInfo: 'last:chance', dueTime: nowMs + 7_200_000, retries: 3 },
      { name: 'report', taskInfo: '', dueTime: nowMs + 1_000, retries: 0 },
    ];
    for (const task of written) {
      if (task.retries === 0) await legacyAddTask(client, task.name, task.dueTime, task.taskInfo);
      else await legacyAddRetry(client, task.name, task.taskInfo, task.retries, task.dueTime);
    }
    assert.ok((await legacyMembers()).includes('RETRY-2:mail:retry:me:twice'), 'the fixture is not in the published format');

    const scheduler = engine();
    assert.deepEqual(await scheduler.migrateLegacyTasks(), { migrated: written.length, skipped: 0, remaining: 0 });
    for (const name of ['mail', 'report']) {
      const expected = new Map(written.filter((t) => t.name === name).map((t): [string, [number, number]] => [t.taskInfo, [t.dueTime, t.retries]]));
      assert.deepEqual(await layout(scheduler, name), expected);
    }
    assert.equal(await client.exists(LEGACY_KEY), 0);
    assert.ok(await stagingIsEmpty(), 'staging keys left behind');
    assert.deepEqual(
      (await scheduler.getStats()).map((s) => [s.name, s.scheduled]),
      [
        ['mail', 3],
        ['report', 3],
      ],
    );
  });

  it('runs a moved task at its due time with the attempts it has left', async () => {
    const dueTime = Date.now() + 500;
    await legacyAddRetry(client, 'charge', 'order:7:eur', 2, dueTime);
    await legacyAddTask(client, 'charge', dueTime, 'order:8:eur');
    const runs: Array<{ taskInfo: string; context: TaskContext; atMs: number }> = [];
    const scheduler = engine({ migrateLegacyTasks: true, maxRetries: 3 });
    scheduler.setHandler('charge', (taskInfo, context) => void runs.push({ taskInfo, context, atMs: Date.now() }));
    await scheduler.start();
    await eventually(() => runs.length === 2, 10_000, 'both moved tasks to run');
    const byInfo = new Map(runs.map((r) => [r.taskInfo, r]));
    assert.equal(byInfo.get('order:7:eur')!.context.attempt, 3, 'RETRY-2 did not count as 2 attempts used');
    assert.equal(byInfo.get('order:8:eur')!.context.attempt, 1);
    for (const run of runs) {
      assert.equal(run.context.dueTimeMs, dueTime);
      assert.ok(run.atMs >= dueTime, 'ran before its due time');
    }
  });

  it('leaves members it cannot move in the legacy key, and says why', async () => {
    const unmovable = [
      ['no-colon-at-all', Date.now()],
      [':empty name', Date.now()],
      [legacyMember('big', 'x'.repeat(100)), Date.now()],
      [legacyMember('negative', 'due'), -5],
    ] as const;
    for (const [member, score] of unmovable) await client.sendCommand(['ZADD', LEGACY_KEY, String(score), member]);
    await legacyAddTask(client, 'fine', Date.now(), 'moves');
    const log = recordingLogger();
    const scheduler = engine({ maxTaskInfoBytes: 64 }, log);
    assert.deepEqual(await scheduler.migrateLegacyTasks(), { migrated: 1, skipped: 4, remaining: 4 });
    assert.deepEqual(await legacyMembers(), unmovable.map(([member]) => member).sort());
    assert.equal(log.warnings.length, 4);
    assert.ok(log.warnings.some((w) => w.includes('"no-colon-at-all"') && w.includes('not "[RETRY-<n>:]<name>:<taskInfo>"')));
    assert.ok(log.warnings.some((w) => w.includes('more than maxTaskInfoBytes')));
    assert.ok(log.warnings.some((w) => w.includes('dueTime must be a Unix time')));
    await scheduler.migrateLegacyTasks();
    assert.equal(log.warnings.length, 4, 'warned twice about the same member');
  });

  it('is idempotent: a second pass moves nothing and changes nothing', async () => {
    for (let i = 0; i < 50; i++) await legacyAddTask(client, 'idem', Date.now() + i * 1_000, `task:${i}`, false);
    await legacyAddRetry(client, 'idem', 'task:r', 1, Date.now());
    const scheduler = engine();
    assert.equal((await scheduler.migrateLegacyTasks()).migrated, 51);
    const first = await layout(scheduler, 'idem');
    assert.deepEqual(await scheduler.migrateLegacyTasks(), { migrated: 0, skipped: 0, remaining: 0 });
    assert.deepEqual(await layout(scheduler, 'idem'), first);
    assert.equal(first.size, 51);
  });

  it('a task already in the new layout: the legacy write wins (it is an add), attempts included', async () => {
    const scheduler = engine();
    await scheduler.addTask('both', Date.now() + 3_600_000, 'same:task');
    const legacyDue = Date.now() + 60_000;
    await legacyAddRetry(client, 'both', 'same:task', 1, legacyDue);
    await scheduler.migrateLegacyTasks();
    assert.deepEqual(await layout(scheduler, 'both'), new Map([['same:task', [legacyDue, 1]]]));
  });

  it('a pass that stopped mid-way loses nothing: what it held goes back after leaseMs and moves', async () => {
    const leaseMs = 800;
    const dueTime = Date.now() + 60_000;
    await legacyAddTask(client, 'held', dueTime, 'a:1');
    await legacyAddRetry(client, 'held', 'b:2', 2, dueTime);
    // A pass that took both members and then died before adding them.
    const take = new LuaScript('legacy-take.lua');
    const members = [legacyMember('held', 'a:1'), String(dueTime), legacyMember('held', 'b:2', 2), String(dueTime)];
    assert.deepEqual(await take.run(createRedisPort(client), [LEGACY_KEY, STAGING.moving, STAGING.movingUntil], ['dead-pass', String(leaseMs), ...members]), [0, 1, 2]);
    assert.equal(await client.exists(LEGACY_KEY), 0);

    const scheduler = engine({ leaseMs });
    assert.deepEqual(await scheduler.migrateLegacyTasks(), { migrated: 0, skipped: 0, remaining: 0 }, 'took what a live pass holds');
    await sleep(leaseMs + 100);
    assert.deepEqual(await scheduler.migrateLegacyTasks(), { migrated: 2, skipped: 0, remaining: 0 });
    assert.deepEqual(await layout(scheduler, 'held'), new Map([['a:1', [dueTime, 0]], ['b:2', [dueTime, 2]]]));
    assert.ok(await stagingIsEmpty());
  });

  it('several processes migrating at once: each task is moved exactly once, none is lost', async () => {
    const TASKS = 3_000;
    const keyPrefix = `test:legacy:concurrent`;
    const nowMs = Date.now();
    const expected = new Map<string, [number, number]>();
    for (let i = 0; i < TASKS; i += 500) {
      const batch: string[] = [];
      for (let j = i; j < i + 500; j++) {
        const retries = j % 10 === 0 ? (j % 3) + 1 : 0;
        const dueTime = nowMs + 3_600_000 + j;
        expected.set(`job:${j}:payload`, [dueTime, retries]);
        batch.push(String(dueTime), legacyMember('bulk', `job:${j}:payload`, retries));
      }
      await client.sendCommand(['ZADD', LEGACY_KEY, ...batch]);
    }
    const nodes = await Promise.all(
      [1, 2, 3].map(() => NodeProcess.start({ redisUrl: redis.url, options: { keyPrefix }, handlers: [], noListener: true })),
    );
    try {
      for (const node of nodes) node.send({ type: 'migrate' });
      await Promise.all(nodes.map((node) => node.waitFor((events) => events.some((e) => e.type === 'migrated' || e.type === 'error'), 30_000)));
      const counts = nodes.map((node) => node.events.find((e): e is Extract<WorkerEvent, { type: 'migrated' }> => e.type === 'migrated')!.counts);
      console.log(`      ${TASKS} legacy tasks, 3 processes at once: moved ${counts.map((c) => c.migrated).join(' + ')}`);
      assert.equal(
        counts.reduce((sum, c) => sum + c.migrated, 0),
        TASKS,
        'a task was moved twice or not at all',
      );
      const moved = new RedisScheduler(client, { keyPrefix });
      assert.deepEqual(await layout(moved, 'bulk'), expected);
      assert.equal(await client.exists(LEGACY_KEY), 0);
      assert.ok(await stagingIsEmpty());
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
    }
  });

  it('a migrating process killed mid-pass loses nothing: another pass moves all after leaseMs', async () => {
    const TASKS = 5_000;
    const keyPrefix = 'test:legacy:killed';
    const leaseMs = 1_000;
    const dueTime = Date.now() + 3_600_000;
    for (let i = 0; i < TASKS; i += 1_000) {
      const batch = Array.from({ length: 1_000 }, (_, j) => [String(dueTime + i + j), legacyMember('crash', `c:${i + j}`, (i + j) % 4)]).flat();
      await client.sendCommand(['ZADD', LEGACY_KEY, ...batch]);
    }
    const node = await NodeProcess.start({ redisUrl: redis.url, options: { keyPrefix, leaseMs }, handlers: [], noListener: true });
    node.send({ type: 'migrate' });
    await eventually(async () => (await client.exists(STAGING.moving)) === 1, 20_000, 'the pass to hold members');
    await node.kill();
    const held = Number(await client.hLen(STAGING.moving));
    const moved = await layout(new RedisScheduler(client, { keyPrefix }), 'crash');
    console.log(`      killed mid-pass: ${moved.size} of ${TASKS} already moved, ${held} held by the dead pass (given back after leaseMs)`);

    await sleep(leaseMs + 100);
    const survivor = engine({ keyPrefix });
    const { migrated } = await survivor.migrateLegacyTasks();
    // Members the dead pass had added but not yet let go are added again (the same task, same due time).
    assert.ok(migrated >= TASKS - moved.size && migrated <= TASKS - moved.size + held, `the second pass moved ${migrated}`);
    const all = await layout(survivor, 'crash');
    assert.equal(all.size, TASKS);
    for (let i = 0; i < TASKS; i += 997) assert.deepEqual(all.get(`c:${i}`), [dueTime + i, i % 4]);
    assert.equal(await client.exists(LEGACY_KEY), 0);
    assert.ok(await stagingIsEmpty());
  });

  it('a listening node follows old nodes: on their `update` message, and on its poll when a message is lost', async () => {
    const runs: string[] = [];
    const scheduler = engine({ migrateLegacyTasks: true, safetyPollMs: 24 * 3_600_000 });
    scheduler.setHandler('live', (taskInfo) => void runs.push(taskInfo));
    await scheduler.start();
    await legacyAddTask(client, 'live', Date.now(), 'announced:1');
    await eventually(() => runs.includes('announced:1'), 10_000, 'the announced task to move and run');

    const polling = engine({ keyPrefix: scheduler.settings.keyPrefix, migrateLegacyTasks: true, safetyPollMs: 600 });
    polling.setHandler('quiet', (taskInfo) => void runs.push(taskInfo));
    await polling.start();
    await sleep(200); // the passes made at start are over; the first poll comes 480 ms or more after it
    await legacyAddTask(client, 'quiet', Date.now(), 'unannounced:2', false);
    await eventually(() => runs.includes('unannounced:2'), 10_000, 'the safety poll to move the unannounced task');
    assert.deepEqual(runs.sort(), ['announced:1', 'unannounced:2']);
  });

  it('the staging keys live in the legacy key\'s Redis Cluster slot, tagged or not', async () => {
    const node = await RedisServerProcess.start(['--cluster-enabled', 'yes']);
    const probe = createClient({ url: node.url });
    await probe.connect();
    try {
      for (const legacyKey of [LEGACY_KEY, 'myapp:SchedulerUtil.Tasks', 'app:{jobs}:tasks']) {
        const staging = legacyStagingKeys(legacyKey);
        const slots = await Promise.all([legacyKey, staging.moving, staging.movingUntil].map((key) => probe.sendCommand(['CLUSTER', 'KEYSLOT', key])));
        assert.equal(new Set(slots).size, 1, `${legacyKey}: slots ${slots.join(', ')}`);
      }
    } finally {
      await probe.close();
      await node.destroy();
    }
  });

  it('moves tasks of names with no handler here; they wait in the new layout, visible in stats', async () => {
    await legacyAddTask(client, 'elsewhere', Date.now() - 1_000, 'x:y');
    const scheduler = engine({ migrateLegacyTasks: true, safetyPollMs: 200 });
    scheduler.setHandler('other', () => undefined);
    await scheduler.start();
    await eventually(async () => (await client.exists(LEGACY_KEY)) === 0, 10_000, 'the move');
    await sleep(400);
    const stats = (await scheduler.getStats()).find((s) => s.name === 'elsewhere');
    assert.deepEqual(stats, { name: 'elsewhere', scheduled: 1, running: 0, dead: 0, handledHere: false, recurring: 0, coalescedTicks: 0 });
  });
});
