// Adds tasks to one system from the driver process: the engine's addTask/addTasks, BullMQ's add/addBulk.
import { Queue } from 'bullmq';
import { createClient } from 'redis';
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
  close(): Promise<void>;
}

const QUIET = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

async function engineProducer(redisUrl: string): Promise<Producer> {
  const client = createClient({ url: redisUrl });
  client.on('error', () => undefined);
  await client.connect();
  const scheduler = new RedisScheduler(client, { keyPrefix: ENGINE_PREFIX, allowUnknownHandlers: true }, QUIET);
  return {
    addOne: (task) => scheduler.addTask(TASK_NAME, task.dueTimeMs, task.taskInfo),
    addMany: (tasks) => scheduler.addTasks(tasks),
    close: () => client.close(),
  };
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
    close: async () => {
      await queue.close();
      if (client.isOpen) await client.close();
    },
  };
}

export function createProducer(system: BenchSystem, redisUrl: string): Promise<Producer> {
  return system === 'engine' ? engineProducer(redisUrl) : bullmqProducer(redisUrl);
}
