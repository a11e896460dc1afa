// A private redis-server holding tasks of every state, made by real scheduler nodes (worker
// processes) and an operator engine, for the dashboard's tests:
//   emails    no handler anywhere: tasks over the next hour, overdue ones (lag past the threshold),
//             a taskInfo holding markup, a 1 MiB taskInfo
//   reports   running on node A (long handlers under a renewed lease); heartbeat ticks on node A
//   crashy    its node B was killed mid-run: an expired lease no node reclaims
//   flaky     failed once on node C, waiting 10 min for its retry
//   doomed    failed its only attempt on node D (then stopped): dead, with the error's stack
//   archive   paused, with overdue tasks
//   cleanup   recurring (cron and interval), no handler: its first tick is overdue
import { createClient } from 'redis';
import { RedisScheduler } from '../../src/engine/scheduler';
import type { RedisClient } from '../support/redis-client';
import { QUIET } from '../support/engines';
import { NodeProcess, eventually } from '../support/nodes';
import { RedisServerProcess } from '../support/redis-server';
import type { WorkerSpec } from '../support/worker';

export const PREFIX = 'test:dashboard';
export const XSS_TASK = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">';
export const HUGE_TASK = `{"blob":"${'x'.repeat(1024 * 1024 - 11)}"}`; // 1 MiB
export const DOOMED = ['doomed-1', 'doomed-2', 'doomed-3'];

export interface Fleet {
  redis: RedisServerProcess;
  client: RedisClient;
  /** An engine that never listens: what the dashboard is given. */
  operator: RedisScheduler;
  nodes: NodeProcess[];
  close(): Promise<void>;
}

const MINUTE = 60_000;

function spec(redisUrl: string, options: WorkerSpec['options'], handlers: WorkerSpec['handlers'], extra: Partial<WorkerSpec> = {}): WorkerSpec {
  return { redisUrl, options: { keyPrefix: PREFIX, safetyPollMs: 60_000, ...options }, handlers, ...extra };
}

export async function startFleet(): Promise<Fleet> {
  const redis = await RedisServerProcess.start();
  const client = createClient({ url: redis.url }) as RedisClient;
  client.on('error', () => undefined);
  await client.connect();
  const operator = new RedisScheduler(client, { keyPrefix: PREFIX, allowUnknownHandlers: true, redisWaitMs: 1_000, metrics: false }, QUIET);
  const nodes: NodeProcess[] = [];
  const fleet: Fleet = {
    redis,
    client,
    operator,
    nodes,
    close: async () => {
      await Promise.all(nodes.map((node) => node.kill()));
      await client.close().catch(() => undefined);
      await redis.destroy();
    },
  };
  try {
    await fill(fleet);
  } catch (err) {
    await fleet.close();
    throw err;
  }
  return fleet;
}

async function fill(fleet: Fleet): Promise<void> {
  const { operator, redis, nodes } = fleet;
  const now = Date.now();
  await operator.addTasks([
    ...Array.from({ length: 40 }, (_, i) => ({ name: 'emails', dueTimeMs: now + (i + 1) * 85_000, taskInfo: `{"to":"user${i}@example.com","template":"welcome"}` })),
    ...Array.from({ length: 5 }, (_, i) => ({ name: 'emails', dueTimeMs: now - 2 * MINUTE - i * 1_000, taskInfo: `{"to":"late${i}@example.com","template":"reminder"}` })),
    { name: 'emails', dueTimeMs: now + 3 * MINUTE, taskInfo: XSS_TASK },
    { name: 'emails', dueTimeMs: now + 4 * MINUTE, taskInfo: HUGE_TASK },
    ...Array.from({ length: 3 }, (_, i) => ({ name: 'reports', taskInfo: `monthly-report-${i + 1}`, dueTimeMs: now })),
    { name: 'crashy', dueTimeMs: now, taskInfo: 'resize-image-42' },
    ...['charge-1', 'charge-2'].map((taskInfo) => ({ name: 'flaky', dueTimeMs: now, taskInfo })),
    ...DOOMED.map((taskInfo) => ({ name: 'doomed', dueTimeMs: now, taskInfo })),
    ...Array.from({ length: 4 }, (_, i) => ({ name: 'archive', dueTimeMs: now - 30_000, taskInfo: `archive-2026-0${i + 1}` })),
  ]);
  await operator.pauseHandler('archive');
  await operator.addRecurringTask('cleanup', { cron: '30 2 * * *', timezone: 'Europe/Paris' }, 'nightly-vacuum');
  await operator.addRecurringTask('cleanup', { everyMs: 15 * MINUTE }, 'purge-sessions');

  const long = 5 * MINUTE;
  nodes.push(
    ...(await NodeProcess.startAll([
      spec(redis.url, { leaseMs: 30_000 }, [{ name: 'reports', workMs: long }, { name: 'heartbeat' }], {
        recurring: [{ name: 'heartbeat', schedule: { everyMs: 60 * MINUTE }, taskInfo: 'ping' }],
      }),
      spec(redis.url, { leaseMs: 1_500 }, [{ name: 'crashy', workMs: long }]),
      spec(redis.url, { maxRetries: 2, retryDelayMs: 10 * MINUTE }, [{ name: 'flaky', failUntilAttempt: 99 }]),
      spec(redis.url, { maxRetries: 0 }, [{ name: 'doomed', failUntilAttempt: 99 }]),
    ])),
  );
  const [, crashNode, , doomedNode] = nodes;
  await crashNode.waitFor((events) => events.some((e) => e.type === 'start'), 10_000);
  await crashNode.kill();
  const stateOf = async (name: string) => (await operator.getStats()).find((s) => s.name === name);
  await eventually(async () => (await stateOf('doomed'))?.dead === DOOMED.length, 10_000, 'the doomed tasks to die');
  await doomedNode.stop();
  await eventually(async () => (await stateOf('flaky'))?.retrying === 2 && (await stateOf('flaky'))?.running === 0, 10_000, 'the flaky tasks to wait for a retry');
  await eventually(async () => (await stateOf('reports'))?.running === 3, 10_000, 'the reports to run');
  await eventually(async () => (await operator.getRecurringTasks('heartbeat'))[0]?.lastOutcome === 'succeeded', 10_000, 'the heartbeat tick');
  // the killed node's lease runs out (1.5 s) and nobody reclaims it
  await eventually(async () => {
    const [task] = (await operator.listTasks('crashy', { state: 'running' })).tasks;
    return task !== undefined && task.leaseExpiresMs! < Date.now() - 500;
  }, 10_000, 'the crashed lease to expire');
}
