// The Redis port on the client family and topology of this run (see test/support/redis-target.ts):
// family detection, routing by key, sharded or plain wake-ups from add.lua, NOSCRIPT fallback,
// reconnect events, and close().
import assert from 'node:assert/strict';
import { KeySpace, keyNamesOf } from '../src/engine/keys';
import { createRedisPort } from '../src/engine/redis/detect-client';
import { publishCommandOf, type RedisPort } from '../src/engine/redis/redis-port';
import { RedisScheduler } from '../src/engine/scheduler';
import { Scripts } from '../src/engine/scripts';
import { waitAtMost } from '../src/engine/single-flight';
import { eventually } from './support/nodes';
import { redisCli } from './support/redis-cluster';
import { connectTarget, targetFromEnv, type TestConnection } from './support/redis-target';

const target = targetFromEnv();
const cluster = target.topology === 'cluster';
const ports = target.urls.map((url) => Number(new URL(url).port));
const EXPECTED_FAMILY = {
  'node-redis-6': cluster ? 'node-redis-cluster' : 'node-redis-5',
  'node-redis-4': cluster ? 'node-redis-cluster' : 'node-redis-4',
  ioredis: cluster ? 'ioredis-cluster' : 'ioredis',
}[target.client];
const keys = new KeySpace('test:port');
/** Names whose tags land on different slots (and, on a cluster of 3 masters, on more than one master). */
const NAMES = ['alpha', 'beta', 'gamma', 'delta', 'odd {name}'];

/**
 * Kills, on every node, the connections named `name` (CLIENT KILL ID) whose CLIENT LIST line passes
 * `also`; returns how many. `anyName`: every connection passing `also`, named or not.
 */
async function killConnections(name: string, also: (line: string) => boolean = () => true, anyName = false): Promise<number> {
  let killed = 0;
  for (const port of ports) {
    const list = await redisCli(port, ['CLIENT', 'LIST']).catch(() => '');
    const lines = list.split('\n').filter((l) => (anyName || l.includes(` name=${name} `)) && also(l));
    for (const id of lines.map((l) => /\bid=(\d+)/.exec(l)![1])) {
      killed += Number(await redisCli(port, ['CLIENT', 'KILL', 'ID', id]).catch(() => '0'));
    }
  }
  return killed;
}

/** Kills the connections named `name` subscribed to a channel (sharded or not); returns how many. */
function killSubscribed(name: string): Promise<number> {
  // ioredis names no sharded subscriber of a cluster: there, this test's are the only ones
  return killConnections(name, (line) => /\bs?sub=[1-9]/.test(line), cluster && target.client === 'ioredis');
}

/** The connections named `name` in a CLIENT LIST: id, and whether it is subscribed to a channel. */
function connectionsNamed(list: string, name: string): Array<{ id: string; subscribed: boolean }> {
  return list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => ({ id: /\bid=(\d+)/.exec(line)![1], subscribed: Number(/\bsub=(\d+)/.exec(line)?.[1] ?? 0) > 0 }));
}

describe(`Redis port (${target.client}, ${target.topology})`, function () {
  this.timeout(30_000);
  let connection: TestConnection;
  let port: RedisPort;

  before(async () => {
    connection = await connectTarget(target, 'port-test');
    port = createRedisPort(connection.client);
  });

  after(async () => {
    // Bounded: a node-redis 4 cluster whose connections were just killed may not answer its unsubscribe
    // or QUIT for a while (seen once under heavy load); the engine bounds the same close at shutdown.
    await waitAtMost(port.close(), 5_000);
    await waitAtMost(connection.close(), 5_000);
  });

  it('tells the client family by its shape', () => {
    assert.equal(port.family, EXPECTED_FAMILY);
    assert.equal(port.isCluster, cluster);
    assert.equal(publishCommandOf(port), cluster ? 'SPUBLISH' : 'PUBLISH');
  });

  it('rejects what is not a supported client, naming what is accepted', () => {
    assert.throws(() => new RedisScheduler({ get: () => undefined }), /unsupported Redis client \(Object\).*node-redis 4-6.*ioredis/);
    assert.throws(() => createRedisPort('redis://localhost'), /unsupported Redis client \(string\)/);
  });

  it('routes commands by their first key, across slots', async () => {
    for (const name of NAMES) {
      const key = keys.forHandler(name).due;
      await port.send(['ZADD', key, '1', name], key);
      assert.equal(Number(await port.send(['ZSCORE', key, name], key)), 1);
      await port.send(['DEL', key], key);
    }
  });

  it('delivers the wake-up add.lua publishes to each name\'s channel', async () => {
    const scripts = new Scripts(port, keys);
    const received: string[] = [];
    for (const name of NAMES) await port.subscribe(keys.wakeChannel(name), (message) => received.push(message));
    for (const name of NAMES) {
      await scripts.add(keys.forHandler(name), name, ['0', 'wake-me']);
    }
    await eventually(() => received.length === NAMES.length, 5_000, 'a wake-up for every name');
    assert.deepEqual(received.map((m) => m.slice(m.indexOf(' ') + 1)).sort(), [...NAMES].sort());
    await port.unsubscribe(keys.wakeChannel(NAMES[0]));
    await scripts.add(keys.forHandler(NAMES[0]), NAMES[0], ['-1', 'earlier']);
    await scripts.add(keys.forHandler(NAMES[1]), NAMES[1], ['-1', 'earlier']);
    await eventually(() => received.length === NAMES.length + 1, 5_000, 'the wake-up of a name still subscribed');
    assert.match(received.at(-1)!, new RegExp(` ${NAMES[1]}$`));
    for (const name of NAMES) for (const key of keyNamesOf(keys.forHandler(name))) await port.send(['DEL', key], key);
  });

  it('wakes a listening engine when another one adds a task (the safety poll is 10 minutes away)', async () => {
    const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
    const keyPrefix = 'test:port-wake';
    const listener = new RedisScheduler(connection.client, { keyPrefix, safetyPollMs: 600_000 }, quiet);
    const producer = new RedisScheduler(connection.client, { keyPrefix, allowUnknownHandlers: true }, quiet);
    const runs: string[] = [];
    for (const name of NAMES) listener.setHandler(name, (taskInfo) => void runs.push(`${name}/${taskInfo}`));
    await listener.start();
    try {
      for (const name of NAMES) await producer.addTask(name, Date.now() + 300, 'woken');
      await eventually(() => runs.length === NAMES.length, 10_000, 'every name to be woken');
    } finally {
      await listener.stop();
    }
    const space = new KeySpace(keyPrefix);
    for (const key of [space.names, ...NAMES.flatMap((name) => keyNamesOf(space.forHandler(name)))]) await port.send(['DEL', key], key);
  });

  it('runs a script by its source when the server lost its script cache (NOSCRIPT)', async () => {
    const scripts = new Scripts(port, keys);
    const name = NAMES[2];
    await scripts.add(keys.forHandler(name), name, ['0', 'first']);
    for (const p of ports) await redisCli(p, ['SCRIPT', 'FLUSH']);
    await scripts.add(keys.forHandler(name), name, ['0', 'second']);
    const claimed = await scripts.claim(keys.forHandler(name), 10, 'noscript', 0, { leaseMs: 1_000, maxAttempts: 1, expiredError: 'x' });
    assert.deepEqual(claimed.tasks.map((t) => t.taskInfo).sort(), ['first', 'second']);
    for (const key of keyNamesOf(keys.forHandler(name))) await port.send(['DEL', key], key);
  });

  // node-redis (4 to 6) cannot end a connection while it opens its socket (src/engine/redis/socket-opening.ts):
  // a stop() just after the subscriber connection was cut left it connected, and subscribed, for
  // good. Standalone only: the connections are told apart by name on the one server.
  if (!cluster) {
    it('leaves no connection behind when stopped just after its subscriber connection was cut', async () => {
      const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
      const callers: TestConnection[] = [];
      const names: string[] = [];
      try {
        for (let i = 0; i < 24; i++) {
          const name = `port-cut-${i}`;
          callers.push(await connectTarget(target, name));
          names.push(name);
          const engine = new RedisScheduler(callers[i].client, { keyPrefix: 'test:port-cut' }, quiet);
          engine.setHandler('job', () => undefined);
          await engine.start();
          const subscriber = connectionsNamed(String(await port.send(['CLIENT', 'LIST'])), name).find((c) => c.subscribed);
          assert.ok(subscriber, `no subscriber connection named ${name}`);
          await port.send(['CLIENT', 'KILL', 'ID', subscriber.id]);
          // stop at a few moments of the reconnection that follows
          for (let turn = 0; turn < i % 4; turn++) await new Promise((resolve) => setImmediate(resolve));
          await engine.stop();
        }
        let left = '';
        await eventually(
          async () => {
            const list = String(await port.send(['CLIENT', 'LIST']));
            const counts = names.map((name) => ({ name, connections: connectionsNamed(list, name) }));
            const wrong = counts.filter((c) => c.connections.length !== 1 || c.connections[0].subscribed);
            left = wrong.map((c) => `${c.name}: ${c.connections.length}`).join(', ');
            return wrong.length === 0;
          },
          5_000,
          'only the caller\'s own connection of each stopped engine',
        ).catch((err: Error) => assert.fail(`${err.message}; left: ${left}`));
      } finally {
        await Promise.all(callers.map((caller) => caller.close()));
      }
    });
  }

  it('reports its pub/sub connection dropping and coming back, and delivers wake-ups again', async () => {
    assert.ok(port.onSubscriberState, `${port.family} reports no subscriber state`);
    const states: boolean[] = [];
    const off = port.onSubscriberState((connected) => states.push(connected));
    const channel = keys.forHandler('subscriber-state').wake;
    const received: string[] = [];
    try {
      await port.subscribe(channel, (message) => received.push(message));
      await eventually(async () => (await killSubscribed('port-test')) > 0, 5_000, 'a subscribed connection named port-test to kill');
      await eventually(() => states.includes(false), 10_000, 'the subscriber to be reported lost');
      await eventually(() => states.lastIndexOf(true) > states.indexOf(false), 10_000, 'the subscriber to be reported back');
      // node-redis 4 clusters do not subscribe again once a sharded pub/sub connection dropped
      // (docs/cluster.md): there the safety poll stands in for wake-ups, and renewals for removals.
      if (cluster && target.client === 'node-redis-4') return;
      const command = publishCommandOf(port);
      await eventually(
        async () => {
          await port.send([command, channel, 'after-drop'], channel).catch(() => 0);
          return received.includes('after-drop');
        },
        10_000,
        'a wake-up to arrive after the drop',
      );
    } finally {
      off();
      await port.unsubscribe(channel);
    }
  });

  it('reports a reconnect after its connections are killed, and works on', async () => {
    let reconnects = 0;
    const off = port.onReconnect(() => reconnects++);
    try {
      assert.ok((await killConnections('port-test')) > 0, 'no connection named port-test to kill');
      await eventually(() => reconnects > 0, 10_000, 'a reconnect event');
      const key = keys.forHandler('after-reconnect').due;
      await eventually(async () => (await port.send(['EXISTS', key], key).catch(() => -1)) === 0, 10_000, 'commands to work again');
    } finally {
      off();
    }
  });
});
