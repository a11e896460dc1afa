import { randomUUID } from 'node:crypto';
import { Logging } from '@ajs/logging/beta';
import {
  addTask,
  enableListener,
  getStats,
  removeTask,
  setHandler,
  type HandlerStats,
  type TaskContext,
} from '@ajs/redis_scheduler/beta';

/** `modules.<id>.config` of the demo app. */
interface DemoConfig {
  /** Gap between two demo tasks. Default `1000`. */
  spacingMs: number;
}

/** What the demo tasks carry in their taskInfo. */
interface DemoTask {
  run: string;
  label: string;
}

const log = new Logging.Channel('demo');
const GREET = 'demo.greet';
const FLAKY = 'demo.flaky';
const EXPECTED_RUNS = 4; // three greetings and the flaky payment
const SETTLE_MS = 5_000;

let config: DemoConfig = { spacingMs: 1000 };
const runId = randomUUID().slice(0, 8);
let completed = 0;

function describeRun(taskInfo: string, context: TaskContext): string {
  const task = JSON.parse(taskInfo) as DemoTask;
  return `"${task.label}" ran ${Date.now() - context.dueTimeMs} ms after its due time (attempt ${context.attempt}/${context.maxAttempts})`;
}

/** The demo's counts once Redis shows none of its tasks scheduled or running (at most SETTLE_MS). */
async function settledStats(): Promise<HandlerStats[]> {
  const deadlineMs = Date.now() + SETTLE_MS;
  for (;;) {
    const stats = (await getStats()).filter((s) => s.name.startsWith('demo.'));
    if (stats.every((s) => s.scheduled === 0 && s.running === 0) || Date.now() > deadlineMs) return stats;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Called as a handler ends. The last handler's own task counts as running until the handler has
 * returned and its acknowledgement reached Redis, so the stats are read after that, not from inside it.
 */
function finishIfDone(): void {
  if (++completed < EXPECTED_RUNS) return;
  settledStats().then(
    (stats) => {
      log.Info(`stats: ${JSON.stringify(stats)}`);
      log.Info('demo complete: every task ran once, the flaky one after two retries, the cancelled one never');
    },
    (err: unknown) => log.Error('could not read the stats:', err),
  );
}

async function scheduleDemo(): Promise<void> {
  await enableListener();
  const at = (slot: number) => Date.now() + slot * config.spacingMs;
  const info = (label: string) => JSON.stringify({ run: runId, label } satisfies DemoTask);
  await addTask(GREET, at(1), info('greeting 1'));
  await addTask(GREET, at(2), info('greeting 2'));
  await addTask(FLAKY, at(3), info('payment 42 (fails twice, then succeeds)'));
  await addTask(GREET, at(4), info('cancelled greeting'));
  await addTask(GREET, at(5), info('greeting 3'));
  log.Info(`run ${runId}: scheduled 5 tasks, ${config.spacingMs} ms apart`);
  const found = await removeTask(GREET, info('cancelled greeting'));
  log.Info(`cancelled "cancelled greeting" before it was due (found: ${found})`);
}

export function construct(moduleConfig?: Partial<DemoConfig>): void {
  config = { ...config, ...moduleConfig };
}

export function start(): void {
  setHandler(GREET, async (taskInfo, context) => {
    log.Info(describeRun(taskInfo, context));
    finishIfDone();
  });
  setHandler(FLAKY, async (taskInfo, context) => {
    if (context.attempt < 3) {
      log.Info(`${describeRun(taskInfo, context)}: failing on purpose`);
      throw new Error(`payment gateway timeout (demo, attempt ${context.attempt})`);
    }
    log.Info(`${describeRun(taskInfo, context)}: succeeded`);
    finishIfDone();
  });
  scheduleDemo().catch((err: unknown) => log.Error('could not schedule the demo tasks:', err));
}

export function stop(): void {}

export function destroy(): void {}
