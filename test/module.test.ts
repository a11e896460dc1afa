// The module as apps use it: through the AntelopeJS runtime (`@ajs/redis_scheduler/beta`), with the
// redis@beta provider module giving the connection to a private redis-server.
import assert from 'node:assert/strict';
import { GetClient } from '@ajs/redis/beta';
import {
  addRecurringTask,
  addTask,
  addTasks,
  disableListener,
  enableListener,
  getDeadTasks,
  getRecurringTasks,
  getStats,
  removeTask,
  setHandler,
  type TaskContext,
} from '@ajs/redis_scheduler/beta';
import { RedisScheduler } from '../src/engine/scheduler';
import { recordedKeySpace } from './support/recorded-keys';
import { createRedisPort } from '../src/engine/redis/detect-client';
import { scanKeys } from './support/scan-keys';
import { eventually } from './support/nodes';
import { MODULE_OPTIONS } from './support/module-options';

/** The module's key space, with the bucket count it recorded (1 standalone, 12 on a cluster). */
const keysNow = async () => recordedKeySpace(createRedisPort(await GetClient()), MODULE_OPTIONS.keyPrefix!);
const maxAttempts = 1 + 3; // default maxRetries

/** A handler that records every run; `behaviour` decides what each run does. */
function recorder(behaviour: (taskInfo: string, context: TaskContext) => void | Promise<void> = () => undefined) {
  const runs: Array<{ taskInfo: string; context: TaskContext; atMs: number }> = [];
  const handler = async (taskInfo: string, context: TaskContext) => {
    runs.push({ taskInfo, context, atMs: Date.now() });
    await behaviour(taskInfo, context);
  };
  return { runs, handler };
}

const redisKeys = () => scanKeys(MODULE_OPTIONS.keyPrefix!);

/** One command on the provider's client, whatever its family (the engine's own port). */
async function send(key: string, ...args: string[]): Promise<unknown> {
  return createRedisPort(await GetClient()).send([args[0], key, ...args.slice(1)], key);
}

async function dueScore(name: string, taskInfo: string): Promise<number | null> {
  const score = await send((await keysNow()).forTask(name, taskInfo).due, 'ZSCORE', taskInfo);
  return score === null ? null : Number(score);
}

async function isLeased(name: string, taskInfo: string): Promise<boolean> {
  return (await send((await keysNow()).forTask(name, taskInfo).lease, 'ZSCORE', taskInfo)) !== null;
}

async function attemptsUsed(name: string, taskInfo: string): Promise<unknown> {
  return send((await keysNow()).forTask(name, taskInfo).attempts, 'HGET', taskInfo);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('redis_scheduler@beta through the AntelopeJS runtime', function () {
  this.timeout(20_000);

  before(async () => {
    await enableListener();
  });

  it('runs a due task once, then deletes it', async () => {
    const { runs, handler } = recorder();
    setHandler('once', handler);
    await addTask('once', Date.now(), 'job-1');
    await eventually(() => runs.length === 1, 5_000, 'the task to run');
    await sleep(300);
    assert.equal(runs.length, 1);
    assert.equal(runs[0].taskInfo, 'job-1');
    assert.equal(runs[0].context.attempt, 1);
    await eventually(async () => !(await isLeased('once', 'job-1')), 2_000, 'the acknowledgement');
    assert.equal(await dueScore('once', 'job-1'), null);
  });

  it('does not run a future task early, and runs it when due', async () => {
    const { runs, handler } = recorder();
    setHandler('future', handler);
    const dueTimeMs = Date.now() + 1_000;
    await addTask('future', dueTimeMs, 'later');
    await sleep(500);
    assert.equal(runs.length, 0, 'ran before its due time');
    await eventually(() => runs.length === 1, 5_000, 'the task to run');
    assert.ok(runs[0].atMs >= dueTimeMs, `ran at ${runs[0].atMs}, due at ${dueTimeMs}`);
    assert.equal(runs[0].context.dueTimeMs, dueTimeMs);
  });

  it('moves the due time when the same task is added again (last write wins)', async () => {
    const { runs, handler } = recorder();
    setHandler('moved', handler);
    await addTask('moved', Date.now() + 60_000, 'same');
    await addTask('moved', Date.now(), 'same');
    await eventually(() => runs.length === 1, 5_000, 'the moved task to run');
    await sleep(300);
    assert.equal(runs.length, 1);
  });

  it('removeTask cancels a scheduled task', async () => {
    const { runs, handler } = recorder();
    setHandler('cancel-due', handler);
    await addTask('cancel-due', Date.now() + 1_500, 'doomed');
    assert.equal(await removeTask('cancel-due', 'doomed'), true);
    assert.equal(await removeTask('cancel-due', 'doomed'), false);
    await sleep(2_000);
    assert.equal(runs.length, 0);
    assert.equal(await dueScore('cancel-due', 'doomed'), null);
  });

  it('removeTask cancels a task waiting for its retry', async () => {
    const { runs, handler } = recorder(() => {
      throw new Error('first run fails');
    });
    setHandler('cancel-retry', handler);
    await addTask('cancel-retry', Date.now(), 'retry-me');
    await eventually(async () => runs.length === 1 && (await dueScore('cancel-retry', 'retry-me')) !== null, 5_000, 'the retry to be scheduled');
    assert.equal(await removeTask('cancel-retry', 'retry-me'), true);
    await sleep(MODULE_OPTIONS.retryDelayMs! * 2);
    assert.equal(runs.length, 1, 'the cancelled retry ran');
    assert.equal(await dueScore('cancel-retry', 'retry-me'), null);
    assert.equal(await attemptsUsed('cancel-retry', 'retry-me'), null);
  });

  it('removeTask on a running task: it is not retried and its signal fires', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { runs, handler } = recorder(async () => {
      await gate;
      throw new Error('fails after being removed');
    });
    setHandler('cancel-running', handler);
    await addTask('cancel-running', Date.now(), 'busy');
    await eventually(() => runs.length === 1, 5_000, 'the task to start');
    assert.equal(await removeTask('cancel-running', 'busy'), true);
    assert.equal(runs[0].context.signal.aborted, true, 'the handler was not told');
    release();
    await sleep(MODULE_OPTIONS.retryDelayMs! * 2);
    assert.equal(runs.length, 1, 'a removed task was retried');
    assert.equal(await dueScore('cancel-running', 'busy'), null);
    assert.equal(await isLeased('cancel-running', 'busy'), false);
  });

  it('a failing handler runs 1 + 3 times, then the task is in the dead set with its error', async () => {
    const { runs, handler } = recorder((_info, context) => {
      throw new Error(`boom on attempt ${context.attempt}`);
    });
    setHandler('always-fails', handler);
    await addTask('always-fails', Date.now(), 'poison');
    await eventually(async () => (await getDeadTasks('always-fails')).length === 1, 10_000, 'the dead set');
    await sleep(MODULE_OPTIONS.retryDelayMs! * 2);
    assert.deepEqual(
      runs.map((r) => r.context.attempt),
      [1, 2, 3, 4],
    );
    const [dead] = await getDeadTasks('always-fails');
    assert.equal(dead.taskInfo, 'poison');
    assert.equal(dead.attempts, maxAttempts);
    assert.match(dead.error, /boom on attempt 4/);
    assert.equal(await dueScore('always-fails', 'poison'), null);
    const stats = (await getStats()).find((s) => s.name === 'always-fails');
    assert.deepEqual(stats, { name: 'always-fails', scheduled: 0, running: 0, dead: 1, handledHere: true, overdue: 0, oldestOverdueMs: 0, retrying: 0, nextDueMs: null, paused: false, recurring: 0, coalescedTicks: 0 });
  });

  it('a handler that succeeds on its second attempt is not retried again', async () => {
    const { runs, handler } = recorder((_info, context) => {
      if (context.attempt === 1) throw new Error('transient');
    });
    setHandler('flaky', handler);
    await addTask('flaky', Date.now(), 'payment');
    await eventually(() => runs.length === 2, 5_000, 'the retry');
    await sleep(MODULE_OPTIONS.retryDelayMs! * 2);
    assert.deepEqual(runs.map((r) => r.context.attempt), [1, 2]);
    assert.equal(await dueScore('flaky', 'payment'), null);
  });

  it('serves a handler registered after enableListener, for a task added before it', async () => {
    await send((await keysNow()).forTask('late-handler', 'waiting').due, 'ZADD', String(Date.now()), 'waiting');
    const { runs, handler } = recorder();
    setHandler('late-handler', handler);
    await eventually(() => runs.length === 1, 5_000, 'the late handler to be served');
    assert.equal(runs[0].taskInfo, 'waiting');
  });

  it('leaves a task whose handler no node has in Redis, untouched and visible in stats', async () => {
    const producer = new RedisScheduler(await GetClient(), { ...MODULE_OPTIONS, allowUnknownHandlers: true });
    const dueTimeMs = Date.now() - 1_000;
    await producer.addTask('nobody-handles-this', dueTimeMs, 'orphan');
    await sleep(MODULE_OPTIONS.safetyPollMs! * 1.5);
    assert.equal(await dueScore('nobody-handles-this', 'orphan'), dueTimeMs);
    assert.equal(await isLeased('nobody-handles-this', 'orphan'), false);
    const stats = (await getStats()).find((s) => s.name === 'nobody-handles-this');
    const { oldestOverdueMs, ...counts } = stats!;
    assert.ok(oldestOverdueMs >= 1_000 + MODULE_OPTIONS.safetyPollMs!, `lag ${oldestOverdueMs} ms`);
    assert.deepEqual(counts, {
      name: 'nobody-handles-this',
      scheduled: 1,
      running: 0,
      dead: 0,
      handledHere: false,
      overdue: 1,
      retrying: 0,
      nextDueMs: dueTimeMs,
      paused: false,
      recurring: 0,
      coalescedTicks: 0,
    });
  });

  it('round-trips names and taskInfo with ":", newlines, quotes, unicode and 1 MiB exactly', async () => {
    const name = 'odd:name\n"quoted" ünï©ødé 🚀';
    const payloads = ['a:b:c', 'line1\nline2\r\n', `"double" 'single' \\ back`, '日本語 emoji 🎉 zwj 👩‍👩‍👧', '', 'x'.repeat(1024 * 1024 - 6) + 'é🎉'];
    assert.equal(Buffer.byteLength(payloads[5]), 1024 * 1024);
    const { runs, handler } = recorder();
    setHandler(name, handler);
    for (const taskInfo of payloads) await addTask(name, Date.now(), taskInfo);
    await eventually(() => runs.length === payloads.length, 10_000, 'every payload to run');
    assert.deepEqual(new Set(runs.map((r) => r.taskInfo)), new Set(payloads));
    assert.ok(runs.every((r) => r.context.name === name));
  });

  it('removeTask matches exactly that name and taskInfo', async () => {
    const { runs, handler } = recorder();
    setHandler('exact', handler);
    await addTasks([
      { name: 'exact', dueTimeMs: Date.now() + 1_500, taskInfo: 'a:b' },
      { name: 'exact', dueTimeMs: Date.now() + 1_500, taskInfo: 'a' },
    ]);
    assert.equal(await removeTask('exact', 'a:'), false);
    assert.equal(await removeTask('exact', 'a:b'), true);
    await eventually(() => runs.length === 1, 5_000, 'the remaining task');
    await sleep(300);
    assert.deepEqual(runs.map((r) => r.taskInfo), ['a']);
  });
  it('addRecurringTask, getRecurringTasks and removeTask run a recurring task until it is removed', async () => {
    const { runs, handler } = recorder();
    setHandler('recurring-module', handler);
    await assert.rejects(addRecurringTask('recurring-module', { everyMs: 0 }, 'x'), /schedule\.everyMs/);
    assert.equal(await addRecurringTask('recurring-module', { everyMs: 300 }, 'every-300'), true);
    assert.equal(await addRecurringTask('recurring-module', { everyMs: 300 }, 'every-300'), false);
    await eventually(() => runs.length >= 3, 5_000, '3 ticks');
    const [listed] = await getRecurringTasks('recurring-module');
    assert.deepEqual([listed.name, listed.taskInfo, listed.schedule], ['recurring-module', 'every-300', { everyMs: 300 }]);
    assert.ok((await getRecurringTasks()).some((t) => t.name === 'recurring-module'));
    assert.equal((await getStats()).find((s) => s.name === 'recurring-module')?.recurring, 1);
    assert.equal(await removeTask('recurring-module', 'every-300'), true);
    const count = runs.length;
    await sleep(900);
    assert.ok(runs.length <= count + 1, 'ticks went on after removeTask');
    assert.deepEqual(await getRecurringTasks('recurring-module'), []);
    const dues = runs.map((r) => r.context.dueTimeMs);
    assert.ok(dues.every((d, i) => i === 0 || d - dues[i - 1] === 300), `ticks ${dues.join(', ')}`);
  });
});

describe('redis_scheduler@beta rejects bad input and writes nothing', function () {
  this.timeout(20_000);
  const good = { name: 'validated', dueTimeMs: Date.now() + 3_600_000, taskInfo: 'ok' };

  before(() => setHandler(good.name, () => undefined));

  const badAdds: Array<[string, unknown[], RegExp]> = [
    ['a number as name', [42, good.dueTimeMs, good.taskInfo], /handler name must be a non-empty string/],
    ['an empty name', ['', good.dueTimeMs, good.taskInfo], /handler name must be a non-empty string/],
    ['an unknown handler', ['never-registered', good.dueTimeMs, good.taskInfo], /unknown handler "never-registered"/],
    ['NaN due time', [good.name, NaN, good.taskInfo], /dueTime must be a finite number/],
    ['Infinity due time', [good.name, Infinity, good.taskInfo], /dueTime must be a finite number/],
    ['a string due time', [good.name, String(good.dueTimeMs), good.taskInfo], /dueTime must be a finite number/],
    ['a Date due time', [good.name, new Date(), good.taskInfo], /pass date\.getTime\(\)/],
    ['a negative due time', [good.name, -1, good.taskInfo], /dueTime must be a Unix time/],
    ['an object taskInfo', [good.name, good.dueTimeMs, { id: 1 }], /taskInfo must be a string/],
    ['an undefined taskInfo', [good.name, good.dueTimeMs, undefined], /taskInfo must be a string/],
    ['an oversized taskInfo', [good.name, good.dueTimeMs, 'x'.repeat(1024 * 1024 + 1)], /more than maxTaskInfoBytes/],
    ['a lone surrogate in taskInfo', [good.name, good.dueTimeMs, 'bad \ud800'], /lone UTF-16 surrogate/],
  ];

  for (const [what, args, message] of badAdds) {
    it(`addTask rejects ${what}`, async () => {
      const before = await redisKeys();
      await assert.rejects((addTask as (...a: unknown[]) => Promise<void>)(...args), message);
      assert.deepEqual(await redisKeys(), before);
    });
  }

  it('addTasks rejects the whole batch when one task is bad', async () => {
    const before = await redisKeys();
    await assert.rejects(addTasks([good, { ...good, taskInfo: 'second' }, { ...good, dueTimeMs: NaN }]), /dueTime must be a finite number/);
    await assert.rejects(addTasks('not an array' as never), /expects an array/);
    assert.deepEqual(await redisKeys(), before);
  });

  it('removeTask rejects a bad name or taskInfo', async () => {
    await assert.rejects(removeTask(undefined as never, 'x'), /handler name must be a non-empty string/);
    await assert.rejects(removeTask(good.name, 7 as never), /taskInfo must be a string/);
  });

  it('setHandler rejects a bad name or handler synchronously', () => {
    assert.throws(() => setHandler('', () => undefined), /non-empty string/);
    assert.throws(() => setHandler(null as never, () => undefined), /non-empty string/);
    assert.throws(() => setHandler('no-function', 'nope' as never), /handler must be a function/);
  });

  it('the node keeps working after bad input', async () => {
    const { runs, handler } = recorder();
    setHandler('after-bad-input', handler);
    await assert.rejects(addTask('after-bad-input', NaN, 'x'));
    await addTask('after-bad-input', Date.now(), 'fine');
    await eventually(() => runs.length === 1, 5_000, 'the good task');
  });
});

describe('disableListener', function () {
  this.timeout(20_000);

  it('hands a running task back without using an attempt, aborts its handler, and stops claiming', async () => {
    const { runs, handler } = recorder((_info, context) => new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve())));
    setHandler('shutdown', handler);
    const dueTimeMs = Date.now();
    await addTask('shutdown', dueTimeMs, 'long-job');
    await eventually(() => runs.length === 1, 5_000, 'the task to start');
    // the handler waits for its signal, so disableListener waits shutdownTimeoutMs then hands it back
    await disableListener();
    assert.equal(runs[0].context.signal.aborted, true);
    assert.equal(await isLeased('shutdown', 'long-job'), false);
    assert.equal(await dueScore('shutdown', 'long-job'), dueTimeMs, 'not handed back under its due time');
    assert.equal(await attemptsUsed('shutdown', 'long-job'), null, 'the hand-back used an attempt');

    await addTask('shutdown', Date.now(), 'after-disable');
    await sleep(MODULE_OPTIONS.safetyPollMs! * 1.5);
    assert.equal(runs.length, 1, 'claimed after disableListener');

    await enableListener();
    await eventually(() => runs.length === 3, 5_000, 'both tasks to run after enableListener');
    assert.deepEqual(runs.slice(1).map((r) => [r.taskInfo, r.context.attempt]).sort(), [
      ['after-disable', 1],
      ['long-job', 1],
    ]);
    await disableListener();
  });
});
