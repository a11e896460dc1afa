import { ImplementInterface } from '@ajs/core/beta';
import { Logging } from '@ajs/logging/beta';
import { GetClient } from '@ajs/redis/beta';
import { BucketCountError } from './engine/bucket-layout';
import { resolveOptions, type SchedulerOptions } from './engine/options';
import { RedisUnavailableError } from './engine/redis-wait';
import { RedisScheduler, type SchedulerLogger, type TaskHandler } from './engine/scheduler';
import * as schedulerBeta from './interfaces/redis_scheduler/beta';
import { waitAtMost } from './engine/single-flight';

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
/** What the last enableListener/disableListener asked for (the last call wins). */
let listenerWanted = false;
/** Bumped by destroy(): an engine created for an earlier life of the module is never used. */
let generation = 0;

/** The engine, created on first use once the redis@beta provider hands out its client. */
function getEngine(): Promise<RedisScheduler> {
  const life = generation;
  engineReady ??= GetClient()
    .then((client) => {
      if (life !== generation) throw new Error('redis_scheduler: the module was destroyed');
      const created = new RedisScheduler(client, options, log);
      for (const [name, handler] of handlers) created.setHandler(name, handler);
      engine = created;
      return created;
    })
    .catch((err: unknown) => {
      if (life === generation) engineReady = undefined;
      throw err;
    });
  return engineReady;
}

/** Brings the engine to what the last enable/disable call asked for. */
async function applyListener(): Promise<void> {
  const current = listenerWanted ? await getEngine() : (engine ?? (await engineReady?.catch(() => undefined)));
  if (!current || current !== engine) return;
  await (listenerWanted ? current.start() : current.stop());
}

/**
 * The engine for a call, waiting up to redisWaitMs for the provider's client: rejects after that
 * (nothing written) instead of hanging while Redis is unreachable. Later calls try again.
 */
async function engineFor(call: string): Promise<RedisScheduler> {
  const ready = getEngine();
  if (await waitAtMost(ready, options.redisWaitMs)) return ready;
  throw new RedisUnavailableError(
    `redis_scheduler: ${call} waited ${options.redisWaitMs} ms for a connected client from the redis@beta provider and got none; ` +
      "nothing was written. Check that Redis is running and the provider's address (its config, and its log lines above).",
  );
}

/** Starts listening once the provider's client is ready; never gives up, but says after redisWaitMs that it is waiting. */
async function startListening(): Promise<void> {
  listenerWanted = true;
  const started = applyListener();
  if (!(await waitAtMost(started, options.redisWaitMs))) {
    log.warn(`enableListener: no connected Redis client from the redis@beta provider after ${options.redisWaitMs} ms; still waiting`);
  }
  await started.catch((err: unknown) => {
    // A refused start (the bucket count recorded in Redis differs from the config) is logged too.
    if (err instanceof BucketCountError) log.error(err.message);
    throw err;
  });
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
    enableListener: startListening,
    disableListener: async () => {
      listenerWanted = false;
      await applyListener();
    },
    addTask: async (name, dueTime, taskInfo) => (await engineFor('addTask')).addTask(name, dueTime, taskInfo),
    addTasks: async (tasks) => (await engineFor('addTasks')).addTasks(tasks),
    removeTask: async (name, taskInfo) => (await engineFor('removeTask')).removeTask(name, taskInfo),
    addRecurringTask: async (name, schedule, taskInfo) => (await engineFor('addRecurringTask')).addRecurringTask(name, schedule, taskInfo),
    getRecurringTasks: async (name) => (await engineFor('getRecurringTasks')).getRecurringTasks(name),
    getStats: async () => (await engineFor('getStats')).getStats(),
    getDeadTasks: async (name, limit) => (await engineFor('getDeadTasks')).getDeadTasks(name, limit),
    listTasks: async (name, listOptions) => (await engineFor('listTasks')).listTasks(name, listOptions),
    getTask: async (name, taskInfo) => (await engineFor('getTask')).getTask(name, taskInfo),
    retryDeadTasks: async (name, taskInfos) => (await engineFor('retryDeadTasks')).retryDeadTasks(name, taskInfos),
    purgeDeadTasks: async (name, purgeOptions) => (await engineFor('purgeDeadTasks')).purgeDeadTasks(name, purgeOptions),
    pauseHandler: async (name) => (await engineFor('pauseHandler')).pauseHandler(name),
    resumeHandler: async (name) => (await engineFor('resumeHandler')).resumeHandler(name),
    getMetrics: async () => (await engineFor('getMetrics')).getMetrics(),
  });
}

export function start(): void {}

export function stop(): void {}

/** Stops listening (waiting for running handlers up to shutdownTimeoutMs) before the module unloads. */
export async function destroy(): Promise<void> {
  generation++;
  listenerWanted = false;
  const current = engine;
  engine = undefined;
  engineReady = undefined;
  await current?.stop();
}
