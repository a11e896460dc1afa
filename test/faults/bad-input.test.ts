// Scenario 8: every public engine function and every config field given wrong types, empty, NaN,
// Infinity, huge, negative, unicode and binary-ish values. Each call must fail with a clear error,
// write nothing to Redis, and leave the node working.
import assert from 'node:assert/strict';
import { DEFAULT_OPTIONS, type SchedulerOptions } from '../../src/engine/options';
import { RedisScheduler, type TaskContext } from '../../src/engine/scheduler';
import { eventually } from '../support/nodes';
import { BASE_OPTIONS, FaultCluster } from './support/fault-cluster';
import { markScenario, recordScenario } from './support/fault-summary';

const SCENARIO = '8. bad input';
const VALID = 'valid';
const MAX_TASK_INFO_BYTES = 64;
const OPTIONS: Partial<SchedulerOptions> = { ...BASE_OPTIONS, maxTaskInfoBytes: MAX_TASK_INFO_BYTES };
const QUIET = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/** Values of the wrong type for a string parameter. */
const NOT_STRINGS: unknown[] = [undefined, null, 0, 42, NaN, Infinity, -Infinity, true, {}, [], ['a'], () => 'x', Symbol('s'), 10n, new Date(), Buffer.from('x')];
const BAD_NAMES: unknown[] = [...NOT_STRINGS, '', '\ud800', 'a\udc00b', 'n'.repeat(1_025), '€'.repeat(342)];
const BAD_TASK_INFOS: unknown[] = [...NOT_STRINGS, '\ud83d', 'x\udfff', 'y'.repeat(MAX_TASK_INFO_BYTES + 1), '🎉'.repeat(17)];
const BAD_DUE_TIMES: unknown[] = [undefined, null, NaN, Infinity, -Infinity, -1, -0.5, 8.64e15 + 1, 1e300, Number.MAX_VALUE, '1000', '', true, {}, [], new Date(), 10n, Symbol('d')];
const BAD_LIMITS: unknown[] = [0, -1, 1.5, NaN, Infinity, -Infinity, 1e300, '10', null, {}, true];
/** Values no numeric field accepts (fractional 1.5 is out of range for retryJitter too). */
const BAD_NUMBERS: unknown[] = [null, NaN, Infinity, -Infinity, -1, 1.5, 1e300, '', '5', '🎉', {}, [], true, 10n];
const BAD_OPTION_VALUES: Record<keyof SchedulerOptions, unknown[]> = {
  keyPrefix: [null, 0, NaN, {}, [], true, '', '{x}', 'a}b', 'k'.repeat(201)],
  retryBackoff: [null, 0, NaN, '', 'Fixed', 'linear', '🎉', {}, true],
  allowUnknownHandlers: [null, 0, 1, NaN, '', 'true', 'false', {}, []],
  buckets: [...BAD_NUMBERS, 0, 257, 'Auto', 'auto ', '12'],
  concurrency: BAD_NUMBERS,
  leaseMs: [...BAD_NUMBERS, 0, 99],
  maxRetries: BAD_NUMBERS,
  retryDelayMs: BAD_NUMBERS,
  retryJitter: [...BAD_NUMBERS, 1.0001],
  maxRetryDelayMs: BAD_NUMBERS,
  safetyPollMs: [...BAD_NUMBERS, 0, 9],
  shutdownTimeoutMs: BAD_NUMBERS,
  maxTaskInfoBytes: [...BAD_NUMBERS, 0],
  claimBatchSize: [...BAD_NUMBERS, 0, 1_001],
  redisWaitMs: [...BAD_NUMBERS, 3_600_001],
  deadRetention: [null, 0, 'x', [], true, { maxTasks: 0 }, { maxTasks: 1.5 }, { maxAgeMs: -1 }, { maxAgeMs: NaN }, { maxItems: 5 }],
  metrics: [null, 0, 1, 'true', {}, []],
  processMetrics: [null, 0, 1, 'false', {}, []],
  migrateLegacyTasks: [null, 0, 1, NaN, '', 'true', {}, []],
  legacyKey: [null, 0, NaN, {}, [], true, '', '\ud800', 'k'.repeat(1_001)],
  legacyChannel: [null, 0, NaN, {}, [], true, '', 'a\udc00b', 'c'.repeat(1_001)],
};

let rejectedCalls = 0;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…(${value.length})` : value);
  if (typeof value === 'number' || typeof value === 'symbol' || typeof value === 'bigint' || typeof value === 'function') return String(value);
  if (value instanceof Date) return 'a Date';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A clear error: a TypeError or RangeError that says where it comes from and mentions `subject`. */
function isClearError(err: unknown, subject: RegExp): boolean {
  return (err instanceof TypeError || err instanceof RangeError) && /redis_scheduler/.test(err.message) && subject.test(err.message);
}

/** The bad calls of one test that were accepted or gave an unclear error. */
let problems: string[] = [];

/** Calls `call` and records a problem unless it fails with a clear error mentioning `subject`. */
async function expectRejected(what: string, subject: RegExp, call: () => unknown): Promise<void> {
  let error: unknown;
  try {
    await call();
  } catch (err) {
    error = err;
  }
  if (error === undefined) problems.push(`${what}: accepted`);
  else if (!isClearError(error, subject)) problems.push(`${what}: unclear error ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`);
  else rejectedCalls++;
}

function assertNoProblems(): void {
  const found = problems;
  problems = [];
  assert.deepEqual(found, [], 'bad calls accepted or unclear');
}

describe(`fault ${SCENARIO}: wrong, empty, NaN, huge, negative, unicode and binary-ish input`, function () {
  this.timeout(60_000);
  let cluster: FaultCluster | undefined;
  let engine: RedisScheduler | undefined;
  const runs: Array<{ taskInfo: string; context: TaskContext }> = [];
  let allPassed = true;
  let validTasks = 0;

  before(async () => {
    cluster = await FaultCluster.start({ options: OPTIONS, handlers: [] });
    engine = new RedisScheduler(cluster.client, OPTIONS, QUIET);
    engine.setHandler(VALID, (taskInfo, context) => {
      runs.push({ taskInfo, context });
    });
    await engine.start();
  });

  beforeEach(() => {
    problems = [];
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'passed') allPassed = false;
  });

  after(async () => {
    recordScenario({ scenario: SCENARIO, tasks: validTasks, ran: new Set(runs.map((r) => r.taskInfo)).size, duplicates: Math.max(0, runs.length - validTasks), lost: Math.max(0, validTasks - runs.length), dead: 0, note: `${rejectedCalls} bad calls rejected` });
    markScenario(SCENARIO, allPassed);
    await engine?.stop().catch(() => undefined);
    await cluster?.destroy();
  });

  const assertNothingWritten = async () => {
    assertNoProblems();
    // The bucket count was recorded when the nodes started; bad input writes nothing.
    assert.deepEqual((await cluster!.scanKeys()).filter((key) => key !== cluster!.keys.bucketsKey), [], 'keys written under the prefix');
  };

  it('the constructor rejects every bad value of every config field, naming the field', async () => {
    for (const [field, values] of Object.entries(BAD_OPTION_VALUES)) {
      for (const value of values) {
        await expectRejected(`${field}: ${show(value)}`, new RegExp(`"${field}"`), () => new RedisScheduler(cluster!.client, { ...OPTIONS, [field]: value }, QUIET));
      }
    }
    assert.deepEqual(Object.keys(BAD_OPTION_VALUES).sort(), Object.keys(DEFAULT_OPTIONS).sort(), 'a config field is not covered');
    for (const options of [null, 42, 'leaseMs=5', [], [1]]) {
      await expectRejected(`options ${show(options)}`, /config/, () => new RedisScheduler(cluster!.client, options as never, QUIET));
    }
    await expectRejected('a misspelt field', /leaseMS/, () => new RedisScheduler(cluster!.client, { leaseMS: 5_000 } as never, QUIET));
    await assertNothingWritten();
  });

  it('the constructor rejects unknown fields named like Object.prototype members', async () => {
    for (const field of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      await expectRejected(`unknown field ${field}`, new RegExp(field), () => new RedisScheduler(cluster!.client, { [field]: 5 } as never, QUIET));
    }
    await expectRejected('unknown field __proto__ (from JSON)', /__proto__/, () => new RedisScheduler(cluster!.client, JSON.parse('{"__proto__": {"leaseMs": 5}}'), QUIET));
    assertNoProblems();
  });

  it('the constructor rejects a keyPrefix that cannot be stored exactly (lone surrogate)', async () => {
    for (const keyPrefix of ['\ud800', 'p\udfff']) {
      await expectRejected(`keyPrefix ${show(keyPrefix)}`, /keyPrefix/, () => new RedisScheduler(cluster!.client, { keyPrefix }, QUIET));
    }
    assertNoProblems();
  });

  it('setHandler rejects bad names and handlers synchronously', async () => {
    for (const name of BAD_NAMES) await expectRejected(`setHandler(${show(name)})`, /handler name/, () => engine!.setHandler(name as string, () => undefined));
    for (const handler of [undefined, null, 'fn', 42, {}, [], Symbol('h')]) {
      await expectRejected(`setHandler handler ${show(handler)}`, /handler must be a function/, () => engine!.setHandler(VALID, handler as never));
    }
    await assertNothingWritten();
  });

  it('removeHandler rejects bad names', async () => {
    for (const name of BAD_NAMES) await expectRejected(`removeHandler(${show(name)})`, /handler name/, () => engine!.removeHandler(name as string));
    assertNoProblems();
  });

  it('addTask and addTasks reject every bad name, due time and taskInfo and write nothing', async () => {
    for (const name of BAD_NAMES) await expectRejected(`addTask name ${show(name)}`, /handler name/, () => engine!.addTask(name as string, Date.now(), 'x'));
    for (const due of BAD_DUE_TIMES) await expectRejected(`addTask dueTime ${show(due)}`, /dueTime/, () => engine!.addTask(VALID, due as number, 'x'));
    for (const info of BAD_TASK_INFOS) await expectRejected(`addTask taskInfo ${show(info)}`, /taskInfo/, () => engine!.addTask(VALID, Date.now(), info as string));
    await expectRejected('addTask of an unregistered name', /unknown handler|handler/, async () => {
      try {
        await engine!.addTask('not-registered', Date.now(), 'x');
      } catch (err) {
        // An Error (not a TypeError) by design: report it through the same check.
        throw err instanceof Error && !(err instanceof TypeError) ? new TypeError(err.message) : err;
      }
    });
    for (const tasks of [undefined, null, 'tasks', 42, {}, new Set([{ name: VALID, dueTimeMs: 0, taskInfo: 'x' }])]) {
      await expectRejected(`addTasks(${show(tasks)})`, /addTasks expects an array/, () => engine!.addTasks(tasks as never));
    }
    for (const item of [undefined, null, 42, 'task', {}, { name: VALID }, { name: VALID, dueTimeMs: NaN, taskInfo: 'x' }]) {
      await expectRejected(`addTasks([good, ${show(item)}])`, /redis_scheduler/, () => engine!.addTasks([{ name: VALID, dueTimeMs: Date.now(), taskInfo: 'good' }, item as never]));
    }
    await assertNothingWritten();
  });

  it('removeTask and getDeadTasks reject bad names and taskInfos', async () => {
    for (const name of BAD_NAMES) await expectRejected(`removeTask name ${show(name)}`, /handler name/, () => engine!.removeTask(name as string, 'x'));
    for (const info of BAD_TASK_INFOS) await expectRejected(`removeTask taskInfo ${show(info)}`, /taskInfo/, () => engine!.removeTask(VALID, info as string));
    for (const name of BAD_NAMES) await expectRejected(`getDeadTasks name ${show(name)}`, /handler name/, () => engine!.getDeadTasks(name as string));
    await assertNothingWritten();
  });

  it('getDeadTasks rejects a bad limit with a clear error', async () => {
    for (const limit of BAD_LIMITS) await expectRejected(`getDeadTasks limit ${show(limit)}`, /limit/, () => engine!.getDeadTasks(VALID, limit as number));
    assertNoProblems();
  });

  it('keeps working afterwards: unicode and binary-ish names and taskInfos round-trip exactly', async () => {
    const unicodeName = 'tâche-🎉-名前';
    const received: string[] = [];
    engine!.setHandler(unicodeName, (taskInfo) => {
      received.push(taskInfo);
    });
    const binaryish = ['\u0000\u0001\u0002\u00ff', '\r\n\t"\'\\', '\uffff\ufffe🎉', '{faults}:due:valid', ''];
    validTasks = binaryish.length;
    await engine!.addTasks(binaryish.map((taskInfo) => ({ name: VALID, dueTimeMs: Date.now(), taskInfo })));
    await engine!.addTask(unicodeName, Date.now(), 'émoji 🎉');
    await eventually(() => runs.length >= binaryish.length && received.length === 1, 10_000, 'the valid tasks to run');
    await eventually(async () => (await cluster!.pending([VALID, unicodeName])) === 0, 10_000, 'acknowledgements');
    assert.deepEqual(runs.map((r) => r.taskInfo).sort(), [...binaryish].sort());
    assert.deepEqual(received, ['émoji 🎉']);
    const stats = await engine!.getStats();
    assert.deepEqual(stats.map((s) => s.name).sort(), [VALID, unicodeName].sort());
  });
});
