// Every error says what happened and what to check: calls while Redis is down reject within
// redisWaitMs naming the target, the claim loop's log lines are never empty, failure logs name the
// task, and a due time that looks like Unix seconds is warned about once.
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { TimeoutError } from '@redis/client/dist/lib/errors';
import { describeError, describeTask, describeTarget } from '../src/engine/describe';
import { RedisUnavailableError } from '../src/engine/redis-wait';
import { RedisScheduler, type SchedulerLogger } from '../src/engine/scheduler';
import type { RedisClient } from './support/redis-client';
import { eventually } from './support/nodes';
import { RedisServerProcess, freePort } from './support/redis-server';

/** A logger that keeps every line, as the module's Logging channel would print it. */
function recordingLogger(): SchedulerLogger & { lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  const keep = (level: string) => (...args: unknown[]) => void lines.push([level, args.map(String).join(' ')]);
  return { lines, error: keep('error'), warn: keep('warn'), info: keep('info'), debug: () => undefined };
}

describe('error texts', function () {
  this.timeout(30_000);
  const clients: RedisClient[] = [];
  const schedulers: RedisScheduler[] = [];
  const servers: RedisServerProcess[] = [];

  afterEach(async () => {
    await Promise.all(schedulers.splice(0).map((s) => s.stop()));
    for (const client of clients.splice(0)) if (client.isOpen) client.destroy();
    await Promise.all(servers.splice(0).map((s) => s.destroy()));
  });

  function track(client: RedisClient): RedisClient {
    client.on('error', () => undefined); // the engine's errors are what is under test
    clients.push(client);
    return client;
  }

  it('describes node-redis errors that carry no message', () => {
    const timeout = new TimeoutError();
    assert.equal(timeout.message, '', 'node-redis TimeoutError has an empty message');
    assert.match(describeError(timeout), /did not take the command within the client's command timeout/);
    assert.equal(describeError(new Error('')), 'Error with no message');
    assert.equal(describeError(''), 'an empty error');
    assert.equal(describeError(new Error('boom')), 'boom');
  });

  it('names a task with a short, escaped excerpt of its taskInfo', () => {
    assert.equal(describeTask('mail', 'a\nb"c'), '"mail" "a\\nb\\"c"');
    const long = describeTask('mail', 'x'.repeat(500));
    assert.ok(long.length < 100 && long.endsWith('…"'), long);
  });

  it('names the Redis target without its credentials', () => {
    const client = createClient({ url: 'redis://user:s3cret@127.0.0.1:6390/2' });
    assert.equal(describeTarget(client), 'redis://***:***@127.0.0.1:6390/2');
    assert.equal(describeTarget(createClient({ socket: { host: 'db', port: 7000 } })), 'db:7000');
  });

  it('a call on a client that never connected rejects after redisWaitMs, naming the target, writing nothing', async () => {
    const port = await freePort();
    const client = track(createClient({ url: `redis://127.0.0.1:${port}` }) as RedisClient);
    client.connect().catch(() => undefined); // keeps retrying: nothing listens on the port
    const log = recordingLogger();
    const node = new RedisScheduler(client, { keyPrefix: 'test:errors:never', redisWaitMs: 300, allowUnknownHandlers: true }, log);
    const startedMs = Date.now();
    await assert.rejects(node.addTask('mail', Date.now(), 'x'), (err: Error) => {
      assert.ok(err instanceof RedisUnavailableError);
      assert.match(err.message, new RegExp(`addTask could not reach Redis at redis://127.0.0.1:${port}/? within 300 ms`));
      assert.match(err.message, /ECONNREFUSED/);
      assert.match(err.message, /nothing was written\. Check that Redis is running/);
      return true;
    });
    assert.ok(Date.now() - startedMs < 5_000, 'rejected promptly, not after the client gave up');
    await assert.rejects(node.getStats(), /getStats could not reach Redis/);
    await assert.rejects(node.removeTask('mail', 'x'), /removeTask could not reach Redis/);
  });

  it('an ioredis client that cannot connect: calls reject after redisWaitMs too, naming host:port', async () => {
    const port = await freePort();
    const client = new Redis({ host: '127.0.0.1', port });
    client.on('error', () => undefined);
    try {
      const node = new RedisScheduler(client, { keyPrefix: 'test:errors:ioredis', redisWaitMs: 300, allowUnknownHandlers: true }, recordingLogger());
      await assert.rejects(
        node.addTask('mail', Date.now(), 'x'),
        new RegExp(`addTask could not reach Redis at 127\\.0\\.0\\.1:${port} within 300 ms \\(last error: .*ECONNREFUSED`),
      );
    } finally {
      client.disconnect();
    }
  });

  it('while Redis is down, calls reject with a clear error, the claim loop logs what failed, and all resume once it is back', async () => {
    const server = await RedisServerProcess.start();
    servers.push(server);
    const client = track(createClient({ url: server.url }) as RedisClient);
    await client.connect();
    const log = recordingLogger();
    const node = new RedisScheduler(client, { keyPrefix: 'test:errors:down', redisWaitMs: 500, safetyPollMs: 200 }, log);
    schedulers.push(node);
    const ran: string[] = [];
    node.setHandler('mail', (taskInfo) => void ran.push(taskInfo));
    await node.start();

    await server.stop();
    await eventually(() => !client.isReady, 5_000, 'the client to notice');
    await assert.rejects(node.addTask('mail', Date.now(), 'during'), /addTask could not reach Redis at redis:\/\/127\.0\.0\.1:\d+\/? within 500 ms/);
    await eventually(() => log.lines.some(([, line]) => line.startsWith('claim failed')), 15_000, 'a claim to fail');
    for (const [level, line] of log.lines.filter(([level]) => level !== 'info')) {
      assert.doesNotMatch(line, /:\s*$/, `${level} line ends with nothing after its colon: ${line}`);
    }

    await server.launch();
    await eventually(() => client.isReady, 10_000, 'the client to reconnect');
    await node.addTask('mail', Date.now(), 'after');
    await eventually(() => ran.includes('after'), 10_000, 'the task added after the outage to run');
    assert.deepEqual(ran, ['after'], 'the rejected add wrote nothing');
  });

  it('failure logs name the task, and a seconds-like due time is warned about once', async () => {
    const server = await RedisServerProcess.start();
    servers.push(server);
    const client = track(createClient({ url: server.url }) as RedisClient);
    await client.connect();
    const log = recordingLogger();
    const node = new RedisScheduler(client, { keyPrefix: 'test:errors:task', retryDelayMs: 100, maxRetries: 0 }, log);
    schedulers.push(node);
    node.setHandler('pay', () => {
      throw new Error('card declined');
    });
    await node.start();
    const seconds = Math.floor(Date.now() / 1000);
    await node.addTask('pay', seconds, '{"order":1}');
    await node.addTask('pay', seconds, '{"order":2}');
    await node.addTask('pay', 0, '{"order":3}');
    await eventually(() => log.lines.filter(([, line]) => line.includes('moved to the dead set')).length === 3, 10_000, 'three failures');
    const warnings = log.lines.filter(([, line]) => line.includes('looks like Unix seconds'));
    assert.equal(warnings.length, 1, 'warned once');
    assert.match(warnings[0][1], new RegExp(`dueTime ${seconds}, before 1973.*Unix milliseconds`));
    assert.ok(log.lines.some(([, line]) => line.startsWith('task "pay" "{\\"order\\":2}" failed (attempt 1/1): card declined')));
    assert.equal((await node.getStats()).find((s) => s.name === 'pay')?.dead, 3, 'seconds-like due times are accepted');
  });
});
