// Regression tests for the engine under hostile interleavings (issue 7, bugs 1-5 and the "also fix"
// items), on plain node-redis clients against the test redis-server; each node has its own client.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { KeySpace } from '../src/engine/keys';
import { RedisScheduler, type SchedulerLogger, type TaskContext } from '../src/engine/scheduler';
import { createRedisPort } from '../src/engine/redis/detect-client';
import { Scripts } from '../src/engine/scripts';
import type { RedisClient } from './support/redis-client';
import { eventually } from './support/nodes';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const QUIET: SchedulerLogger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

describe('engine under hostile interleavings', function () {
  this.timeout(30_000);
  let admin: RedisClient;
  const clients: RedisClient[] = [];
  const nodes: RedisScheduler[] = [];

  /** A client of its own, named so that its connections can be counted in CLIENT LIST. */
  async function connect(name = `t-${randomBytes(4).toString('hex')}`): Promise<RedisClient> {
    const client = createClient({ url: process.env.TEST_REDIS_URL, name }) as RedisClient;
    await client.connect();
    clients.push(client);
    return client;
  }

  async function node(keyPrefix: string, options: object = {}, log: SchedulerLogger = QUIET, client?: RedisClient): Promise<RedisScheduler> {
    const created = new RedisScheduler(client ?? (await connect()), { keyPrefix, allowUnknownHandlers: true, ...options }, log);
    nodes.push(created);
    return created;
  }

  async function connectionsNamed(name: string): Promise<number> {
    const list = String(await admin.sendCommand(['CLIENT', 'LIST']));
    return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
  }

  async function redisNowMs(): Promise<number> {
    const [seconds, micros] = (await admin.sendCommand(['TIME'])) as string[];
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** Leaves a task of `name` behind a "crashed" claim whose 150 ms lease will have expired: a suspect at the next claim. */
  async function leaveCrashedClaim(keyPrefix: string, name: string, taskInfo: string): Promise<void> {
    const keySpace = new KeySpace(keyPrefix);
    const scripts = new Scripts(createRedisPort(admin), keySpace);
    await scripts.add(keySpace.forHandler(name), name, [String((await redisNowMs()) - 1), taskInfo]);
    const claim = await scripts.claim(keySpace.forHandler(name), 1, 'crashed-node', 0, { leaseMs: 150, maxAttempts: 4, expiredError: 'x' });
    assert.equal(claim.tasks.length, 1);
  }

  before(async () => {
    admin = createClient({ url: process.env.TEST_REDIS_URL }) as RedisClient;
    await admin.connect();
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all(clients.map((c) => c.close()));
    await admin.close();
  });

  it('bug 1: stop() called while start() is under way wins: not listening, nothing runs, no connection left', async () => {
    const keyPrefix = 'test:race:start-stop';
    const name = `start-stop-${randomBytes(3).toString('hex')}`;
    const client = await connect(name);
    const racer = await node(keyPrefix, { safetyPollMs: 50 }, QUIET, client);
    const ran: string[] = [];
    racer.setHandler('job', (taskInfo: string) => {
      ran.push(taskInfo);
    });

    const sameTick = racer.start();
    await racer.stop();
    await sameTick;
    assert.equal(racer.isListening, false, 'stop() right after start() left the node listening');

    const nextTick = racer.start();
    await new Promise((resolve) => setImmediate(resolve));
    await racer.stop();
    await nextTick;
    assert.equal(racer.isListening, false);

    const producer = await node(keyPrefix);
    await producer.addTask('job', 0, 'after-stop');
    await sleep(300);
    assert.deepEqual(ran, [], 'a stopped node ran a task');
    assert.equal(await connectionsNamed(name), 1, 'the subscriber connection leaked (only the caller-owned client may remain)');

    // and start() after stop() still works: the last call wins both ways
    await racer.start();
    await eventually(() => ran.length === 1, 5_000, 'the task to run once the node listens again');
    await racer.stop();
  });

  it('bug 2: remove + re-add of a running task never gives two runs at once, and the remote holder is signalled at once', async () => {
    const keyPrefix = 'test:race:remove-readd';
    const runs: Array<{ node: string; startMs: number; endMs?: number; sawSignal?: boolean }> = [];
    const both = await Promise.all(['A', 'B'].map((id) => node(keyPrefix, { leaseMs: 9_000 }).then((n) => ({ id, n }))));
    for (const { id, n } of both) {
      n.setHandler('loop', async (_info: string, context: TaskContext) => {
        const run: (typeof runs)[number] = { node: id, startMs: Date.now() };
        runs.push(run);
        while (!context.signal.aborted && Date.now() - run.startMs < 2_500) await sleep(5);
        run.sawSignal = context.signal.aborted;
        run.endMs = Date.now();
      });
      await n.start();
    }
    await both[0].n.addTask('loop', 0, 'task');
    await eventually(() => runs.length === 1, 5_000, 'the first run');
    const holder = runs[0].node;
    const other = both.find((b) => b.id !== holder)!.n;
    const removedAtMs = Date.now();
    assert.equal(await other.removeTask('loop', 'task'), true);
    await other.addTask('loop', 0, 'task');
    await eventually(() => runs.length === 2 && runs[1].endMs !== undefined, 10_000, 'the second run to end');
    const [first, second] = runs;
    assert.equal(first.sawSignal, true, 'the first run never saw its signal although its task was removed');
    assert.ok(second.startMs >= first.endMs!, `the re-added task started ${first.endMs! - second.startMs} ms before the first run ended`);
    // The holder is told by pub/sub, not at its next renewal (leaseMs / 3 = 3 s away).
    assert.ok(first.endMs! - removedAtMs < 1_500, `signal fired ${first.endMs! - removedAtMs} ms after the removal`);
  });

  it('bug 3: re-adding a task while it runs starts a fresh life: attempt 1 again, and its old failure leaves no dead entry', async () => {
    const keyPrefix = 'test:race:readd-fail';
    const worker = await node(keyPrefix, { maxRetries: 0 });
    const attempts: number[] = [];
    worker.setHandler('self', async (taskInfo: string, context: TaskContext) => {
      attempts.push(context.attempt);
      if (attempts.length === 1) {
        await worker.addTask('self', 0, taskInfo);
        throw new Error('first run fails after re-adding itself');
      }
    });
    await worker.start();
    await worker.addTask('self', 0, 'me');
    await eventually(async () => attempts.length === 2 && (await worker.getStats()).find((s) => s.name === 'self')?.scheduled === 0, 5_000, 'the re-added run');
    await sleep(100);
    assert.deepEqual(attempts, [1, 1]);
    assert.deepEqual(await worker.getDeadTasks('self'), [], 'the old run sent the re-added task to the dead set');
    const stats = (await worker.getStats()).find((s) => s.name === 'self')!;
    assert.deepEqual([stats.scheduled, stats.running, stats.dead], [0, 0, 0]);
  });

  it('bug 4: a suspect next in line does not stop a busy node from claiming other work', async () => {
    const keyPrefix = 'test:race:suspect-busy';
    const events: string[] = [];
    await leaveCrashedClaim(keyPrefix, 'crashy', 'suspect');
    const busy = await node(keyPrefix, { concurrency: 4, safetyPollMs: 10_000 });
    busy.setHandler('long', async () => {
      events.push('long:start');
      await sleep(2_500);
      events.push('long:end');
    });
    busy.setHandler('crashy', () => {
      events.push('suspect:run');
    });
    busy.setHandler('other', (taskInfo: string) => {
      events.push(`other:${taskInfo}`);
    });
    await busy.addTask('long', 0, 'L');
    await busy.start();
    await eventually(() => events.includes('long:start'), 5_000, 'the long handler');
    await sleep(400); // the crashed claim's lease has expired: the next claim of "crashy" finds a suspect
    await busy.addTasks([1, 2, 3].map((i) => ({ name: 'other', dueTimeMs: 0, taskInfo: String(i) })));
    await eventually(() => events.includes('suspect:run'), 10_000, 'the suspect to run once the node is idle');
    const longEnd = events.indexOf('long:end');
    for (const other of ['other:1', 'other:2', 'other:3']) {
      assert.ok(events.indexOf(other) >= 0 && events.indexOf(other) < longEnd, `${other} waited for the busy node to drain: ${events.join(', ')}`);
    }
    assert.ok(events.indexOf('suspect:run') > longEnd, 'the suspect ran beside another handler');
  });

  it('bug 5: after stop() hands back a suspect that ignores its signal, the restarted node claims again, and says so once', async () => {
    const keyPrefix = 'test:race:hung-suspect';
    const warnings: string[] = [];
    const log: SchedulerLogger = { ...QUIET, warn: (...args) => warnings.push(args.join(' ')) };
    await leaveCrashedClaim(keyPrefix, 'hung', 'suspect');
    await sleep(200);
    const restarted = await node(keyPrefix, { shutdownTimeoutMs: 200, concurrency: 2 }, log);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let hungStarts = 0;
    const ran: string[] = [];
    restarted.setHandler('hung', async () => {
      hungStarts++;
      await released; // ignores its signal
    });
    restarted.setHandler('fresh', (taskInfo: string) => {
      ran.push(taskInfo);
    });
    try {
      await restarted.start();
      await eventually(() => hungStarts === 1, 5_000, 'the suspect to start');
      await restarted.stop();
      await restarted.start();
      await restarted.addTask('fresh', 0, 'after-restart');
      await eventually(() => ran.length === 1, 5_000, 'the restarted node to claim a fresh task');
      assert.equal(warnings.filter((w) => w.includes('still run after their signal')).length, 1, warnings.join('\n'));
    } finally {
      release();
    }
  });
});
