// Adds tasks to one system from the driver process: the engine's addTask/addTasks, BullMQ's add/addBulk.
import { Queue } from 'bullmq';
import { createClient } from 'redis';
import { connectBenchTarget, withBuckets, type BenchTarget } from './bench-target';
import { RedisScheduler } from '../src/engine/scheduler';
import { ENGINE_PREFIX, TASK_NAME, type BenchSystem } from './bench-protocol';

/** One task to add (the shape of the engine's TaskSpec, so the engine takes the list as it is). */
export interface BenchTask {
  name: string;
  taskInfo: string;
  dueTimeMs: number;
}

export interface Producer {
  addOne(task: BenchTask): Promise<void>;
  addMany(tasks: readonly BenchTask[]): Promise<void>;
  /** One recurring task per taskInfo, every `everyMs` from `startAtMs` (engine: addRecurringTask; BullMQ: upsertJobScheduler). */
  addSchedules(taskInfos: readonly string[], everyMs: number, startAtMs: number): Promise<void>;
  close(): Promise<void>;
}

const QUIET = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

async function engineProducer(target: BenchTarget, buckets?: number): Promise<Producer> {
  const connection = await connectBenchTarget(target);
  const options = withBuckets({ keyPrefix: ENGINE_PREFIX, allowUnknownHandlers: true }, buckets);
  const scheduler = new RedisScheduler(connection.client, options, QUIET);
  return {
    addOne: (task) => scheduler.addTask(TASK_NAME, task.dueTimeMs, task.taskInfo),
    addMany: (tasks) => scheduler.addTasks(tasks),
    addSchedules: (taskInfos, everyMs, startAtMs) =>
      inChunks(taskInfos, (taskInfo) => scheduler.addRecurringTask(TASK_NAME, { everyMs, startAtMs }, taskInfo)),
    close: () => connection.close(),
  };
}

/** An engine producer on a standalone server or a cluster, with the given bucket count. */
export function createEngineProducer(target: BenchTarget, buckets?: number): Promise<Producer> {
  return engineProducer(target, buckets);
}

/** BullMQ job options for a task: the delay from now, with the timestamp it counts from. */
function jobOptions(task: BenchTask, nowMs: number): { delay: number; timestamp: number } {
  return { delay: Math.max(0, task.dueTimeMs - nowMs), timestamp: nowMs };
}

async function bullmqProducer(redisUrl: string): Promise<Producer> {
  const client = createClient({ url: redisUrl });
  client.on('error', () => undefined);
  const queue = new Queue<string>(TASK_NAME, {
    connection: client,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
  });
  await queue.waitUntilReady();
  return {
    addOne: async (task) => {
      await queue.add('task', task.taskInfo, jobOptions(task, Date.now()));
    },
    addMany: async (tasks) => {
      const nowMs = Date.now();
      await queue.addBulk(tasks.map((task) => ({ name: 'task', data: task.taskInfo, opts: jobOptions(task, nowMs) })));
    },
    addSchedules: (taskInfos, everyMs, startAtMs) =>
      inChunks(taskInfos, (taskInfo) => queue.upsertJobScheduler(taskInfo, { every: everyMs, startDate: startAtMs }, { name: 'task', data: taskInfo })),
    close: async () => {
      await queue.close();
      if (client.isOpen) await client.close();
    },
  };
}

/** Runs `call` for every item, 500 in flight at a time. */
async function inChunks<T>(items: readonly T[], call: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += 500) await Promise.all(items.slice(i, i + 500).map(call));
}

export function createProducer(system: BenchSystem, redisUrl: string): Promise<Producer> {
  return system === 'engine' ? engineProducer({ topology: 'standalone', urls: [redisUrl] }) : bullmqProducer(redisUrl);
}
