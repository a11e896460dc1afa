// A scheduler node in its own process, driven by its parent over IPC (see nodes.ts).
// Loaded as a file by mocha too (it compiles into the test folder): it only runs as a main module.
import { connectTarget, type RedisTarget } from './redis-target';
import { RedisScheduler, type LegacyMigrationCounts, type TaskContext } from '../../src/engine/scheduler';
import type { SchedulerOptions } from '../../src/engine/options';
import type { RecurringSchedule } from '../../src/interfaces/redis_scheduler/beta/types';

/** How one handler of a worker behaves. */
export interface WorkerHandlerSpec {
  name: string;
  /** Time the handler takes (ms). Default 0. */
  workMs?: number;
  /** Time the handler takes for these taskInfos (ms), instead of workMs. */
  workMsByTaskInfo?: Record<string, number>;
  /** Ignore the AbortSignal and keep working until workMs is over. Default false. */
  ignoreAbort?: boolean;
  /** Throw on attempts up to and including this one. Default 0. */
  failUntilAttempt?: number;
  /** Kill this process (SIGKILL) when the handler starts. Default false. */
  killProcessOnRun?: boolean;
}

/** What a worker process runs. */
export interface WorkerSpec {
  /** A standalone server, reached with node-redis 6 (unless `target` is given). */
  redisUrl: string;
  /** Client family and topology to use instead of node-redis 6 on `redisUrl`. */
  target?: RedisTarget;
  options: Partial<SchedulerOptions>;
  handlers: WorkerHandlerSpec[];
  /** Shift this process's Date.now by this much (clock skew); Redis time stays the truth. */
  clockSkewMs?: number;
  /** Do not call start(): a producer-only node. */
  noListener?: boolean;
  /** CLIENT SETNAME of this node's connections (the engine's subscriber duplicates it), to find them in CLIENT LIST. */
  clientName?: string;
  /** Send the engine's warn and error logs to the parent as 'log' events. Default false. */
  forwardLogs?: boolean;
  /** Recurring tasks this node registers at start, as a deploy would (reported by a 'recurring-added' event). */
  recurring?: Array<{ name: string; schedule: RecurringSchedule; taskInfo: string }>;
}

/** Messages a worker sends to its parent. */
export type WorkerEvent =
  | { type: 'ready' }
  | { type: 'recurring-added'; written: number }
  | { type: 'start'; name: string; taskInfo: string; attempt: number; dueTimeMs: number; atMs: number; realAtMs?: number }
  | { type: 'done'; name: string; taskInfo: string; attempt: number; aborted: boolean; realAtMs?: number }
  | { type: 'log'; level: 'warn' | 'error'; message: string }
  | { type: 'stopped' }
  | { type: 'scheduler-stopped' }
  | { type: 'migrated'; counts: LegacyMigrationCounts }
  | { type: 'error'; message: string };

/** Messages a parent sends to a worker. */
export type WorkerCommand =
  | { type: 'stop' }
  | { type: 'add'; tasks: Array<{ name: string; dueTimeMs: number; taskInfo: string }> }
  | { type: 'migrate' };

function send(event: WorkerEvent): void {
  process.send?.(event);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The machine clock, unaffected by clockSkewMs (Redis reads the same clock). */
const realNowMs = Date.now.bind(Date);

function logForwarder(): { error: (...args: unknown[]) => void; warn: (...args: unknown[]) => void; info: () => void; debug: () => void } {
  const forward = (level: 'warn' | 'error') => (...args: unknown[]) => send({ type: 'log', level, message: args.map(String).join(' ') });
  return { error: forward('error'), warn: forward('warn'), info: () => undefined, debug: () => undefined };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.WORKER_SPEC ?? '{}') as WorkerSpec;
  if (spec.clockSkewMs) {
    const realNow = Date.now;
    Date.now = () => realNow() + spec.clockSkewMs!;
  }
  const target = spec.target ?? { client: 'node-redis-6', topology: 'standalone', urls: [spec.redisUrl] };
  const connection = await connectTarget(target, spec.clientName);
  const client = connection.client;
  const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
  const logger = spec.forwardLogs ? logForwarder() : process.env.WORKER_VERBOSE ? undefined : quiet;
  const scheduler = new RedisScheduler(client, spec.options, logger);
  for (const handler of spec.handlers) {
    scheduler.setHandler(handler.name, async (taskInfo: string, context: TaskContext) => {
      const realAtMs = realNowMs();
      send({ type: 'start', name: handler.name, taskInfo, attempt: context.attempt, dueTimeMs: context.dueTimeMs, atMs: Date.now(), realAtMs });
      if (handler.killProcessOnRun) process.kill(process.pid, 'SIGKILL');
      const workMs = handler.workMsByTaskInfo?.[taskInfo] ?? handler.workMs;
      if (workMs) await sleep(workMs, handler.ignoreAbort ? undefined : context.signal);
      send({ type: 'done', name: handler.name, taskInfo, attempt: context.attempt, aborted: context.signal.aborted, realAtMs: realNowMs() });
      if (context.attempt <= (handler.failUntilAttempt ?? 0)) throw new Error(`planned failure on attempt ${context.attempt}`);
    });
  }
  process.on('message', (command: WorkerCommand) => {
    if (command.type === 'stop') {
      void scheduler
        .stop()
        .then(() => send({ type: 'scheduler-stopped' }))
        .then(() => connection.close())
        .then(() => {
          send({ type: 'stopped' });
          process.disconnect?.();
        });
    } else if (command.type === 'add') {
      scheduler.addTasks(command.tasks).catch((err: Error) => send({ type: 'error', message: err.message }));
    } else if (command.type === 'migrate') {
      scheduler
        .migrateLegacyTasks()
        .then((counts) => send({ type: 'migrated', counts }))
        .catch((err: Error) => send({ type: 'error', message: err.message }));
    }
  });
  if (spec.recurring) {
    const written = await Promise.all(spec.recurring.map((r) => scheduler.addRecurringTask(r.name, r.schedule, r.taskInfo)));
    send({ type: 'recurring-added', written: written.filter(Boolean).length });
  }
  if (!spec.noListener) await scheduler.start();
  send({ type: 'ready' });
}

if (require.main === module) {
  main().catch((err: Error) => {
    send({ type: 'error', message: err.stack ?? err.message });
    process.exit(1);
  });
}
