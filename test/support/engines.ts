// Engines on a plain node-redis client for the engine-level tests, all stopped after the suite.
import { createClient } from 'redis';
import type { SchedulerOptions } from '../../src/engine/options';
import { RedisScheduler } from '../../src/engine/scheduler';
import type { RedisClient } from './redis-client';

export const QUIET = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client on the test redis-server and the engines made on it, for one describe block. */
export class EngineBench {
  client!: RedisClient;
  private readonly engines: RedisScheduler[] = [];

  async connect(): Promise<void> {
    this.client = createClient({ url: process.env.TEST_REDIS_URL }) as RedisClient;
    await this.client.connect();
  }

  /** A quiet engine; stopped by close(). */
  engine(options: Partial<SchedulerOptions>): RedisScheduler {
    const engine = new RedisScheduler(this.client, options, QUIET);
    this.engines.push(engine);
    return engine;
  }

  async close(): Promise<void> {
    await Promise.all(this.engines.map((engine) => engine.stop()));
    await this.client.close();
  }

  /** Redis server time in ms. */
  async redisNowMs(): Promise<number> {
    const [seconds, micros] = (await this.client.sendCommand(['TIME'])) as string[];
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }
}
