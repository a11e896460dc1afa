// The published AntelopeJS scheduler (the `redis` module's redis_scheduler), re-enacted command for
// command: the helpers write its data as it writes it, and, run as a child process (legacy-fleet.ts),
// this file is an "old node" that adds and claims the way it does, to test the upgrade against.
// Loaded as a file by mocha too (it compiles into the test folder): the node only runs as a main module.
//
// What it does, from its source: addTask = ZADD SchedulerUtil.Tasks <dueTime> "<name>:<taskInfo>",
// then PUBLISH SchedulerUtil update (skipped while its own run loop is busy). Its run loop:
// ZRANGEBYSCORE SchedulerUtil.Tasks 0 <now>, then ZREM of everything read (not atomic: two nodes
// may both run a task), then each handler in turn; a failure re-adds "RETRY-<n+1>:<name>:<taskInfo>"
// at now + 5 s, up to RETRY-3. It wakes on the channel and on a timer to the earliest task.
// It talked through ioredis; node-redis sends the same commands, so Redis holds the same bytes.
import { createClient } from 'redis';
import type { RedisClient } from './redis-client';

export const LEGACY_KEY = 'SchedulerUtil.Tasks';
export const LEGACY_CHANNEL = 'SchedulerUtil';
const MAX_RETRIES = 3;
const MAX_TIMER_DELAY_MS = 86_400_000;
/** How the published scheduler reads a member (its `(\d)+` keeps only the last digit of n). */
const RETRY_PATTERN = /^(?:RETRY-(\d)+:)?([^:]*):(.*)$/;

/** The member the published scheduler writes for a task, after `retry` failures. */
export function legacyMember(name: string, taskInfo: string, retry = 0): string {
  return retry > 0 ? `RETRY-${retry}:${name}:${taskInfo}` : `${name}:${taskInfo}`;
}

/** The published addTask: ZADD, then PUBLISH update. */
export async function legacyAddTask(client: RedisClient, name: string, dueTime: number, taskInfo: string, publish = true): Promise<void> {
  await client.sendCommand(['ZADD', LEGACY_KEY, String(dueTime), legacyMember(name, taskInfo)]);
  if (publish) await client.sendCommand(['PUBLISH', LEGACY_CHANNEL, 'update']);
}

/** What the published run loop writes after the `retry`-th failure of a task (no PUBLISH). */
export async function legacyAddRetry(client: RedisClient, name: string, taskInfo: string, retry: number, dueTime: number): Promise<void> {
  await client.sendCommand(['ZADD', LEGACY_KEY, String(dueTime), legacyMember(name, taskInfo, retry)]);
}

/** What an old node process runs. */
export interface LegacyNodeSpec {
  redisUrl: string;
  handlers: string[];
  /** Delay before a retry; the published scheduler's is 5000. */
  retryDelayMs?: number;
  /** Handlers throw for these taskInfos (so the node writes RETRY- members). */
  failing?: string[];
}

/** Messages an old node sends to its parent. */
export type LegacyNodeEvent =
  | { type: 'ready' }
  | { type: 'start'; name: string; taskInfo: string; attempt: number }
  | { type: 'added'; count: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

/** Messages a parent sends to an old node. */
export type LegacyNodeCommand = { type: 'stop' } | { type: 'add'; tasks: Array<{ name: string; dueTime: number; taskInfo: string }> };

const send = (event: LegacyNodeEvent): void => {
  if (process.connected) process.send?.(event);
};

class LegacyNode {
  private locked = false;
  private timer?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    private readonly client: RedisClient,
    private readonly spec: LegacyNodeSpec,
  ) {}

  async addTask(name: string, dueTime: number, taskInfo: string): Promise<void> {
    await legacyAddTask(this.client, name, dueTime, taskInfo, !this.locked);
  }

  async updateTimer(): Promise<void> {
    if (this.locked || this.stopping) return;
    const first = (await this.client.sendCommand(['ZRANGE', LEGACY_KEY, '0', '0'])) as string[];
    if (first.length === 0) return;
    const scoreValue = (await this.client.sendCommand(['ZSCORE', LEGACY_KEY, first[0]])) as string | null;
    if (!scoreValue) return;
    const score = Number(scoreValue);
    if (score < Date.now()) {
      await this.runTasks();
    } else {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.runTasks().catch(report), Math.min(score - Date.now(), MAX_TIMER_DELAY_MS));
    }
  }

  async runTasks(): Promise<void> {
    if (this.stopping) return;
    this.locked = true;
    const tasks = (await this.client.sendCommand(['ZRANGEBYSCORE', LEGACY_KEY, '0', String(Date.now())])) as string[];
    if (tasks.length > 0) {
      await this.client.sendCommand(['ZREM', LEGACY_KEY, ...tasks]);
      for (const task of tasks) await this.runOne(task);
    }
    this.locked = false;
    await this.updateTimer();
  }

  private async runOne(task: string): Promise<void> {
    const m = RETRY_PATTERN.exec(task);
    if (!m || !this.spec.handlers.includes(m[2])) return; // the published node drops it silently
    const retryCount = m[1] ? parseInt(m[1], 10) : 0;
    send({ type: 'start', name: m[2], taskInfo: m[3], attempt: retryCount + 1 });
    if (!this.spec.failing?.includes(m[3])) return;
    if (retryCount < MAX_RETRIES) await legacyAddRetry(this.client, m[2], m[3], retryCount + 1, Date.now() + (this.spec.retryDelayMs ?? 5_000));
  }

  /** Unlike the published disableListener, waits for the run loop, so nothing it claimed is cut off. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    while (this.locked) await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function report(err: unknown): void {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.LEGACY_NODE_SPEC ?? '{}') as LegacyNodeSpec;
  const client = createClient({ url: spec.redisUrl }) as RedisClient;
  client.on('error', () => undefined);
  await client.connect();
  const node = new LegacyNode(client, spec);
  const subscriber = client.duplicate();
  subscriber.on('error', () => undefined);
  await subscriber.connect();
  await subscriber.subscribe(LEGACY_CHANNEL, (message: string) => {
    if (message === 'update') node.updateTimer().catch(report);
  });
  process.on('message', (command: LegacyNodeCommand) => {
    if (command.type === 'add') {
      (async () => {
        for (const task of command.tasks) await node.addTask(task.name, task.dueTime, task.taskInfo);
        send({ type: 'added', count: command.tasks.length });
      })().catch(report);
    } else if (command.type === 'stop') {
      node
        .stop()
        .then(() => subscriber.close())
        .then(() => client.close())
        .then(() => {
          send({ type: 'stopped' });
          process.disconnect?.();
        })
        .catch(report);
    }
  });
  node.updateTimer().catch(report);
  send({ type: 'ready' });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    report(err);
    process.exit(1);
  });
}
