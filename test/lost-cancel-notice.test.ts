// A running task's removal reaches its holder by pub/sub, which loses what is published while the
// holder's subscriber connection is down (found by the history checker, seed 7019). A TCP proxy
// between node B and Redis cuts B's pub/sub connection (refusing reconnects meanwhile) and holds
// back the reply of B's claim, so that the removal lands between the claim and its start.
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { RedisScheduler, type SchedulerLogger, type TaskContext } from '../src/engine/scheduler';
import { FaultProxy } from './faults/support/fault-proxy';
import type { RedisClient } from './support/redis-client';
import { eventually } from './support/nodes';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const QUIET: SchedulerLogger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
/** Renewals every 10 s: none falls within a test, so only the lost-notice handling can tell B. */
const LEASE_MS = 30_000;

interface Run {
  taskInfo: string;
  aborted: boolean;
  reason?: string;
  ended: boolean;
}

describe('removal notices lost while a node is cut from pub/sub', function () {
  this.timeout(30_000);
  const clients: RedisClient[] = [];
  const nodes: RedisScheduler[] = [];
  let proxy: FaultProxy | undefined;

  async function connect(url: string): Promise<RedisClient> {
    const client = createClient({ url }) as RedisClient;
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }

  /** Node A (the remover) straight to Redis, node B through the proxy; B records its runs. */
  async function twoNodes(keyPrefix: string, runs: Run[]): Promise<{ remover: RedisScheduler; holder: RedisScheduler }> {
    const url = process.env.TEST_REDIS_URL!;
    proxy = await FaultProxy.start(Number(new URL(url).port));
    const options = { keyPrefix, leaseMs: LEASE_MS, safetyPollMs: 60_000, allowUnknownHandlers: true };
    const remover = new RedisScheduler(await connect(url), options, QUIET);
    const holder = new RedisScheduler(await connect(proxy.url), options, QUIET);
    nodes.push(remover, holder);
    holder.setHandler('job', async (taskInfo: string, context: TaskContext) => {
      const run: Run = { taskInfo, aborted: false, ended: false };
      runs.push(run);
      // honours its signal, else ends after 8 s (well before the first renewal)
      for (let waitedMs = 0; waitedMs < 8_000 && !context.signal.aborted; waitedMs += 10) await sleep(10);
      run.aborted = context.signal.aborted;
      run.reason = (context.signal.reason as Error | undefined)?.message;
      run.ended = true;
    });
    await holder.start();
    await sleep(200); // B's subscriber is up
    return { remover, holder };
  }

  afterEach(async () => {
    proxy?.acceptConnections();
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await proxy?.close();
    proxy = undefined;
  });

  it('a task removed between its claim and its start, while the holder is cut from pub/sub, does not start', async () => {
    const runs: Run[] = [];
    const { remover } = await twoNodes('test:lost-notice:before-start', runs);
    const held = proxy!.holdNextLeasingClaimReply();
    await remover.addTask('job', 0, 'removed-in-flight');
    const release = await held; // B's claim ran in Redis; B does not know yet
    proxy!.cutSubscribers();
    await sleep(50); // B saw its pub/sub connection drop
    assert.equal(await remover.removeTask('job', 'removed-in-flight'), true);
    release();
    await sleep(500);
    proxy!.acceptConnections();
    await eventually(async () => (await remover.getStats()).find((s) => s.name === 'job')?.running === 0, 10_000, 'the lease to be freed');
    assert.deepEqual(runs, [], 'the handler started after removeTask resolved true');
  });

  it('a running task removed while its holder is cut from pub/sub is signalled once the holder is back, not at its renewal', async () => {
    const runs: Run[] = [];
    const { remover } = await twoNodes('test:lost-notice:running', runs);
    await remover.addTask('job', 0, 'removed-while-cut');
    await eventually(() => runs.length === 1, 5_000, 'the run to start on B');
    proxy!.cutSubscribers();
    await sleep(50);
    assert.equal(await remover.removeTask('job', 'removed-while-cut'), true);
    await sleep(200);
    proxy!.acceptConnections();
    await eventually(() => runs[0].ended, 12_000, 'the run to end');
    assert.equal(runs[0].aborted, true, 'the run went on to its end, never told that its task was removed');
    assert.match(runs[0].reason ?? '', /removed/);
  });
});
