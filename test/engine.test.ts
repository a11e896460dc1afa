// Engine behaviours on a plain node-redis client (no AntelopeJS), against the test redis-server.
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { KeySpace } from '../src/engine/keys';
import { RedisScheduler, type TaskContext } from '../src/engine/scheduler';
import type { RedisClient } from './support/redis-client';
import { eventually } from './support/nodes';

describe('engine', function () {
  this.timeout(20_000);
  let client: RedisClient;
  const schedulers: RedisScheduler[] = [];

  function scheduler(keyPrefix: string, options: object = {}): RedisScheduler {
    const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
    const created = new RedisScheduler(client, { keyPrefix, ...options }, quiet);
    schedulers.push(created);
    return created;
  }

  before(async () => {
    client = createClient({ url: process.env.TEST_REDIS_URL }) as RedisClient;
    await client.connect();
  });

  after(async () => {
    await Promise.all(schedulers.map((s) => s.stop()));
    await client.close();
  });

  async function redisNowMs(): Promise<number> {
    const [seconds, micros] = (await client.sendCommand(['TIME'])) as string[];
    return Number(seconds) * 1000 + Number(micros) / 1000;
  }

  it('exponential backoff doubles the retry delay, within the jitter', async () => {
    const keyPrefix = 'test:engine:backoff';
    const node = scheduler(keyPrefix, { retryBackoff: 'exponential', retryDelayMs: 2_000, retryJitter: 0.1, maxRetries: 3 });
    const attempts: number[] = [];
    node.setHandler('backoff', (_info: string, context: TaskContext) => {
      attempts.push(context.attempt);
      throw new Error('always');
    });
    await node.start();
    const due = new KeySpace(keyPrefix).forHandler('backoff').due;
    const delays: number[] = [];
    for (const attempt of [1, 2]) {
      if (attempt === 1) await node.addTask('backoff', 0, 'job');
      else await client.zAdd(due, { score: 0, value: 'job' }); // skip the wait: make the retry due now
      await eventually(async () => attempts.length === attempt && (await client.zScore(due, 'job')) !== null, 5_000, `attempt ${attempt}`);
      delays.push(Number(await client.zScore(due, 'job')) - (await redisNowMs()));
    }
    await node.stop();
    // first retry after 2 s ± 10 %, the second after 4 s ± 10 % (less the few ms spent since)
    assert.ok(delays[0] > 1_700 && delays[0] <= 2_200, `first delay ${delays[0]}`);
    assert.ok(delays[1] > 3_500 && delays[1] <= 4_400, `second delay ${delays[1]}`);
  });

  it('a node with nothing due waits for its safety poll, yet an add wakes it at once through pub/sub', async () => {
    const keyPrefix = 'test:engine:wake';
    const idle = scheduler(keyPrefix, { safetyPollMs: 60_000 });
    const ran: string[] = [];
    idle.setHandler('wake', (taskInfo: string) => {
      ran.push(taskInfo);
    });
    await idle.start();
    // a producer that shares nothing with the idle node but Redis
    const producerClient = client.duplicate();
    await producerClient.connect();
    try {
      const producer = new RedisScheduler(producerClient, { keyPrefix, allowUnknownHandlers: true });
      await new Promise((resolve) => setTimeout(resolve, 200)); // the idle node's timer now points at its safety poll
      await producer.addTask('wake', Date.now() + 200, 'woken');
      await eventually(() => ran.length === 1, 10_000, 'the pub/sub wake-up (the safety poll is 60 s away)');
    } finally {
      await producerClient.close();
    }
  });
});
