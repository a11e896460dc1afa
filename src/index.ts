import { ImplementInterface } from '@ajs/core/beta';
import { Logging } from '@ajs/logging/beta';
import { GetClient } from '@ajs/redis/beta';
import { resolveOptions, type SchedulerOptions } from './engine/options';
import { RedisScheduler, type SchedulerLogger, type TaskHandler } from './engine/scheduler';
import * as schedulerBeta from './interfaces/redis_scheduler/beta';

const channel = new Logging.Channel('redis_scheduler');
const log: SchedulerLogger = {
  error: (...args) => channel.Error(...args),
  warn: (...args) => channel.Warn(...args),
  info: (...args) => channel.Info(...args),
  debug: (...args) => channel.Debug(...args),
};

let options: SchedulerOptions;
const handlers = new Map<string, TaskHandler>();
let engine: RedisScheduler | undefined;
let engineReady: Promise<RedisScheduler> | undefined;

/** The engine, created on first use once the redis@beta provider hands out its client. */
function getEngine(): Promise<RedisScheduler> {
  engineReady ??= GetClient()
    .then((client) => {
      const created = new RedisScheduler(client, options, log);
      for (const [name, handler] of handlers) created.setHandler(name, handler);
      engine = created;
      return created;
    })
    .catch((err: unknown) => {
      engineReady = undefined;
      throw err;
    });
  return engineReady;
}

/**
 * Validates `modules.<id>.config` from antelope.json over the defaults (see SchedulerOptions) and binds
 * the redis_scheduler@beta interface. An invalid config fails the module load with a message naming
 * the field. The Redis client is not awaited here: the provider connects later.
 */
export function construct(config?: Partial<SchedulerOptions>): void {
  options = resolveOptions(config ?? {});
  ImplementInterface(schedulerBeta, {
    internal: {
      handlers: {
        register: (name, handler) => {
          handlers.set(name, handler);
          engine?.setHandler(name, handler);
        },
        unregister: (name) => {
          handlers.delete(name);
          engine?.removeHandler(name);
        },
      },
    },
    enableListener: async () => (await getEngine()).start(),
    disableListener: async () => engine?.stop(),
    addTask: async (name, dueTime, taskInfo) => (await getEngine()).addTask(name, dueTime, taskInfo),
    addTasks: async (tasks) => (await getEngine()).addTasks(tasks),
    removeTask: async (name, taskInfo) => (await getEngine()).removeTask(name, taskInfo),
    addRecurringTask: async (name, schedule, taskInfo) => (await getEngine()).addRecurringTask(name, schedule, taskInfo),
    getRecurringTasks: async (name) => (await getEngine()).getRecurringTasks(name),
    getStats: async () => (await getEngine()).getStats(),
    getDeadTasks: async (name, limit) => (await getEngine()).getDeadTasks(name, limit),
  });
}

export function start(): void {}

export function stop(): void {}

/** Stops listening (waiting for running handlers up to shutdownTimeoutMs) before the module unloads. */
export async function destroy(): Promise<void> {
  const current = engine;
  engine = undefined;
  engineReady = undefined;
  await current?.stop();
}
