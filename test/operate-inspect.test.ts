// Issue 12, reading tasks: listTasks paging, getTask, getStats figures, and bad input.
import assert from 'node:assert/strict';
import { KeySpace } from '../src/engine/keys';
import { scanKeys } from './support/scan-keys';
import type { RedisScheduler, TaskView } from '../src/engine/scheduler';
import { EngineBench, sleep } from './support/engines';
import { eventually } from './support/nodes';

const STABLE = 25_000;
const PAGE = 1_000;

describe('operate: listTasks, getTask, getStats', function () {
  this.timeout(120_000);
  const bench = new EngineBench();

  before(() => bench.connect());
  after(() => bench.close());

  it(`pages through ${STABLE} scheduled tasks ${PAGE} at a time, each seen once, while tasks are added, claimed and removed`, async () => {
    const keyPrefix = 'test:operate:paging';
    const producer = bench.engine({ keyPrefix, allowUnknownHandlers: true });
    const worker = bench.engine({ keyPrefix, concurrency: 4, claimBatchSize: 4, safetyPollMs: 200 });
    let ran = 0;
    worker.setHandler('page', async () => {
      ran++;
      await sleep(2);
    });
    const farMs = Date.now() + 3_600_000;
    // 97 distinct due times: ties of ~258 tasks, so page boundaries fall inside groups of equal score.
    const stable = Array.from({ length: STABLE }, (_, i) => ({ name: 'page', dueTimeMs: farMs + (i % 97), taskInfo: `stable-${i}` }));
    const churn = (round: number) => Array.from({ length: 300 }, (_, i) => ({ name: 'page', dueTimeMs: 0, taskInfo: `churn-${round}-${i}` }));
    await producer.addTasks([...churn(0), ...stable]);
    await worker.start();

    const seen = new Map<string, number>();
    const moved = new Set<string>();
    let previous: TaskView | undefined;
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await producer.listTasks('page', { state: 'scheduled', limit: PAGE, cursor });
      assert.ok(page.tasks.length <= PAGE);
      for (const task of page.tasks) {
        seen.set(task.taskInfo, (seen.get(task.taskInfo) ?? 0) + 1);
        if (previous) assert.ok(previous.dueTimeMs <= task.dueTimeMs, `out of due order after ${previous.taskInfo}`);
        previous = task;
      }
      cursor = page.cursor;
      pages++;
      // Meanwhile: due tasks that the worker claims, future tasks ahead of and behind the cursor,
      // and, every third page, the page's last task (the cursor's own) removed or moved.
      await producer.addTasks([...churn(pages), { name: 'page', dueTimeMs: farMs + (pages % 97), taskInfo: `added-${pages}` }]);
      const last = page.tasks[page.tasks.length - 1];
      if (pages % 3 === 0 && last) assert.equal(await producer.removeTask('page', last.taskInfo), true);
      if (pages % 3 === 1 && last) {
        await producer.addTask('page', farMs + 500, last.taskInfo);
        moved.add(last.taskInfo);
      }
    } while (cursor);

    assert.ok(ran > 0, 'no task was claimed while paging');
    assert.ok(pages >= STABLE / PAGE, `only ${pages} pages`);
    // A task moved ahead of the cursor is met again at its new due time; no other task is seen twice.
    const twice = [...seen].filter(([taskInfo, count]) => count > 1 && !moved.has(taskInfo));
    assert.deepEqual(twice, [], 'tasks seen twice');
    const missing = stable.filter((task) => !seen.has(task.taskInfo));
    assert.deepEqual(missing.map((task) => task.taskInfo), [], 'stable tasks not seen');
    await worker.stop();
  });

  it('pages see every task that stays exactly once (nothing moved)', async () => {
    const producer = bench.engine({ keyPrefix: 'test:operate:paging-still', allowUnknownHandlers: true });
    const dueTimeMs = Date.now() + 3_600_000;
    // one due time for all: the order is the taskInfo's bytes, unicode and binary-ish included
    const taskInfos = Array.from({ length: 2_500 }, (_, i) => `${i % 7 === 0 ? 'é' : ''}t${i}${i % 11 === 0 ? '\u0000x' : ''}`);
    await producer.addTasks(taskInfos.map((taskInfo) => ({ name: 'still', dueTimeMs, taskInfo })));
    const seen: string[] = [];
    let cursor: string | undefined;
    let removedCursor = false;
    do {
      const page = await producer.listTasks('still', { state: 'scheduled', limit: 333, cursor });
      seen.push(...page.tasks.map((task) => task.taskInfo));
      cursor = page.cursor;
      if (cursor && !removedCursor) {
        // the cursor's own task leaves: the next page starts right after where it was
        await producer.removeTask('still', page.tasks[page.tasks.length - 1].taskInfo);
        removedCursor = true;
      }
    } while (cursor);
    assert.equal(seen.length, taskInfos.length);
    assert.deepEqual([...seen].sort(), [...taskInfos].sort());
    const bytes = seen.map((taskInfo) => Buffer.from(taskInfo));
    for (let i = 1; i < bytes.length; i++) assert.ok(Buffer.compare(bytes[i - 1], bytes[i]) < 0, 'not in Redis order');
  });

  it('getTask and listTasks show a task in each state', async () => {
    const keyPrefix = 'test:operate:states';
    const keys = new KeySpace(keyPrefix).forHandler('states');
    const node = bench.engine({ keyPrefix, maxRetries: 1, retryDelayMs: 60_000, leaseMs: 5_000, safetyPollMs: 200 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    node.setHandler('states', async (taskInfo) => {
      if (taskInfo === 'slow') await gate;
      if (taskInfo === 'bad') throw new Error('bad input on purpose');
    });
    const futureMs = Date.now() + 3_600_000;
    await node.addTasks([
      { name: 'states', dueTimeMs: futureMs, taskInfo: 'later' },
      { name: 'states', dueTimeMs: Date.now(), taskInfo: 'slow' },
      { name: 'states', dueTimeMs: Date.now(), taskInfo: 'bad' },
    ]);
    await node.start();
    await eventually(async () => (await node.getTask('states', 'bad'))?.attempt === 2, 5_000, 'the first failure');
    // make the retry due now, so it dies on its second and last attempt
    await bench.client.zAdd(keys.due, { score: 0, value: 'bad' });
    await eventually(async () => (await node.getTask('states', 'bad'))?.state === 'dead', 5_000, 'the death');

    assert.deepEqual(await node.getTask('states', 'later'), { name: 'states', taskInfo: 'later', state: 'scheduled', dueTimeMs: futureMs, attempt: 1 });
    const running = await node.getTask('states', 'slow');
    assert.equal(running?.state, 'running');
    assert.ok(running!.leaseExpiresMs! > (await bench.redisNowMs()), 'lease already over');
    const dead = await node.getTask('states', 'bad');
    assert.equal(dead?.attempt, 2);
    assert.equal(dead?.dueTimeMs, 0);
    assert.match(dead!.error!, /bad input on purpose/);
    assert.ok(Math.abs(dead!.diedAtMs! - (await bench.redisNowMs())) < 5_000);
    assert.equal(await node.getTask('states', 'never-added'), null);

    assert.deepEqual((await node.listTasks('states', { state: 'running' })).tasks, [running]);
    assert.deepEqual((await node.listTasks('states', { state: 'dead' })).tasks, [dead]);
    assert.deepEqual((await node.listTasks('states', { state: 'scheduled' })).tasks.map((t) => t.taskInfo), ['later']);
    release();
    await eventually(async () => (await node.getTask('states', 'slow')) === null, 5_000, 'the slow task to finish');
  });

  it('getStats: overdue, the lag by Redis time, retrying, next due time; cheap figures', async () => {
    const keyPrefix = 'test:operate:stats';
    const node = bench.engine({ keyPrefix, allowUnknownHandlers: true, retryDelayMs: 60_000, safetyPollMs: 200 });
    const nowMs = await bench.redisNowMs();
    await node.addTasks([
      { name: 'lagging', dueTimeMs: nowMs - 5_000, taskInfo: 'late-5s' },
      { name: 'lagging', dueTimeMs: nowMs - 1_000, taskInfo: 'late-1s' },
      { name: 'lagging', dueTimeMs: nowMs + 60_000, taskInfo: 'future' },
    ]);
    node.setHandler('flaky', () => {
      throw new Error('fails once, then waits a minute for its retry');
    });
    await node.addTask('flaky', 0, 'retry-me');
    await node.start();
    await eventually(async () => (await node.getStats()).find((s) => s.name === 'flaky')?.retrying === 1, 5_000, 'the retry');
    const stats = await node.getStats();
    const lagging = stats.find((s) => s.name === 'lagging')!;
    const afterMs = await bench.redisNowMs();
    assert.equal(lagging.overdue, 2);
    assert.ok(lagging.oldestOverdueMs >= 5_000 && lagging.oldestOverdueMs <= afterMs - nowMs + 5_000, `lag ${lagging.oldestOverdueMs}`);
    assert.equal(lagging.nextDueMs, nowMs - 5_000);
    assert.equal(lagging.scheduled, 3);
    assert.equal(lagging.paused, false);
    assert.equal(lagging.handledHere, false);
    const flaky = stats.find((s) => s.name === 'flaky')!;
    assert.deepEqual({ ...flaky, nextDueMs: null }, {
      name: 'flaky', scheduled: 1, running: 0, dead: 0, handledHere: true, overdue: 0, oldestOverdueMs: 0, retrying: 1, nextDueMs: null, paused: false, recurring: 0, coalescedTicks: 0,
    });
    assert.ok(flaky.nextDueMs! > afterMs + 50_000, 'the retry is not a minute away');
  });

  it('rejects bad listTasks, getTask, retryDeadTasks and purgeDeadTasks input with the field named, writing nothing', async () => {
    const keyPrefix = 'test:operate:bad';
    const node: RedisScheduler = bench.engine({ keyPrefix, allowUnknownHandlers: true });
    await node.addTasks(Array.from({ length: 3 }, (_, i) => ({ name: 'x', dueTimeMs: 9e12, taskInfo: `t${i}` })));
    const { cursor } = await node.listTasks('x', { state: 'scheduled', limit: 1 });
    const before = await redisDump(bench, keyPrefix);
    const list = (options: unknown) => node.listTasks('x', options as never);
    await assert.rejects(list(undefined), /listTasks expects options/);
    await assert.rejects(list({}), /state must be one of scheduled, running, dead/);
    await assert.rejects(list({ state: 'due' }), /state must be one of/);
    for (const limit of [0, -1, 1.5, 10_001, NaN, '10']) await assert.rejects(list({ state: 'dead', limit }), /limit must be an integer from 1 to 10000/);
    for (const cursor of ['', 'nope', 'c1.!!', 42, 'c1.' + Buffer.from('[1,2]').toString('base64url')]) {
      await assert.rejects(list({ state: 'scheduled', cursor }), /cursor is not one returned by listTasks/);
    }
    await assert.rejects(list({ state: 'dead', cursor }), /cursor belongs to a listing of "scheduled" tasks/);
    await assert.rejects(node.listTasks('', { state: 'dead' }), /handler name must be a non-empty string/);
    await assert.rejects(node.getTask('x', 5 as never), /taskInfo must be a string/);
    await assert.rejects(node.retryDeadTasks('x', 'all' as never), /taskInfos must be an array/);
    await assert.rejects(node.retryDeadTasks('x', ['ok', 7] as never), /taskInfo must be a string/);
    for (const olderThanMs of [-1, 1.5, NaN, '7d']) {
      await assert.rejects(node.purgeDeadTasks('x', { olderThanMs } as never), /olderThanMs must be a non-negative integer/);
    }
    await assert.rejects(node.pauseHandler(''), /handler name must be a non-empty string/);
    assert.deepEqual(await redisDump(bench, keyPrefix), before);
  });
});

/** Every key of a prefix with its DUMP, to show that nothing was written. */
async function redisDump(bench: EngineBench, keyPrefix: string): Promise<string[]> {
  const keys = await scanKeys(keyPrefix);
  return Promise.all(keys.map(async (key) => `${key} ${String(await bench.client.sendCommand(['DUMP', key]))}`));
}
