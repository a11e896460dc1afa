// The key-layout upgrade on data written by the single-tag version's own scripts
// (test/fixtures/layout-v1): tasks scheduled, running and dead all survive, and running it twice
// moves nothing more. Runs on the client family and topology of this run.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { upgradeKeyLayout } from '../src/engine/key-layout-upgrade';
import { createRedisPort } from '../src/engine/redis/detect-client';
import type { RedisPort } from '../src/engine/redis/redis-port';
import { RedisScheduler } from '../src/engine/scheduler';
import { eventually } from './support/nodes';
import { scanKeys } from './support/scan-keys';
import { connectTarget, targetFromEnv, type TestConnection } from './support/redis-target';

const PREFIX = 'test:upgrade';
const LEASE_MS = 1_500;
/** The old node's lease: long enough to outlast the upgrade's checks on a loaded cluster, so the task still counts as running. */
const OLD_LEASE_MS = 6_000;
const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'layout-v1');

/** The keys of one name as the single-tag version named them (its keys.ts, verbatim). */
function oldKeys(name: string) {
  const tag = `{${PREFIX}}`;
  return {
    due: `${tag}:due:${name}`,
    lease: `${tag}:lease:${name}`,
    claims: `${tag}:claims:${name}`,
    attempts: `${tag}:attempts:${name}`,
    dead: `${tag}:dead:${name}`,
    deadInfo: `${tag}:dead-info:${name}`,
    suspects: `${tag}:suspects:${name}`,
    names: `${tag}:names`,
    wake: `${tag}:wake`,
  };
}

/** Runs one of the old version's scripts, with KEYS and ARGV as that version passed them. */
async function oldScript(port: RedisPort, file: string, keys: string[], args: string[]): Promise<unknown> {
  const source = readFileSync(join(FIXTURES, file), 'utf8');
  return port.send(['EVAL', source, String(keys.length), ...keys, ...args], keys[0]);
}

/** The old version's addTask, claim and failed run. */
const oldVersion = {
  add: (port: RedisPort, name: string, dueTimeMs: number, taskInfo: string) => {
    const k = oldKeys(name);
    return oldScript(port, 'add.lua', [k.due, k.attempts, k.names, k.suspects], [name, k.wake, String(dueTimeMs), taskInfo]);
  },
  claim: async (port: RedisPort, name: string, limit: number, token: string) => {
    const k = oldKeys(name);
    const reply = (await oldScript(port, 'claim.lua', [k.due, k.lease, k.claims, k.attempts, k.dead, k.deadInfo, k.suspects], [String(limit), String(OLD_LEASE_MS), token, '4', 'expired', '0'])) as unknown[];
    const claimed = new Map<string, string>();
    for (let i = 2; i < reply.length; i += 3) claimed.set(String(reply[i]), `${token}|${String(reply[i + 1])}`);
    return claimed;
  },
  failForGood: (port: RedisPort, name: string, taskInfo: string, token: string, error: string) => {
    const k = oldKeys(name);
    return oldScript(port, 'fail.lua', [k.due, k.lease, k.claims, k.attempts, k.dead, k.deadInfo, k.suspects], [taskInfo, token, error, '1', '0']);
  },
};

const target = targetFromEnv();

describe(`key-layout upgrade from the single-tag layout (${target.client}, ${target.topology})`, function () {
  this.timeout(30_000);
  let connection: TestConnection;
  let port: RedisPort;

  before(async () => {
    connection = await connectTarget(target);
    port = createRedisPort(connection.client);
  });

  after(async () => {
    await connection.close();
  });

  it('moves scheduled, running and dead tasks; a second run moves nothing; the new version runs them', async () => {
    const now = Date.now();
    const odd = 'odd {name}: with } braces';
    for (const taskInfo of ['a-doomed', 'b-running', 'c-due-now']) await oldVersion.add(port, 'mail', now - 1_000, taskInfo);
    await oldVersion.add(port, 'mail', now + 3_600_000, 'later');
    await oldVersion.add(port, odd, now - 1_000, 'odd-task');
    const claimed = await oldVersion.claim(port, 'mail', 2, 'old-node');
    assert.deepEqual([...claimed.keys()].sort(), ['a-doomed', 'b-running']);
    assert.equal(await oldVersion.failForGood(port, 'mail', 'a-doomed', claimed.get('a-doomed')!, 'old failure'), 2);
    const before = await scanKeys(PREFIX);
    assert.ok(before.includes(oldKeys('mail').lease) && before.includes(oldKeys('mail').dead), `old layout not written: ${before.join(', ')}`);

    const first = await upgradeKeyLayout(connection.client, PREFIX);
    assert.equal(first.names, 2);
    assert.ok(first.keys >= 6, `moved ${first.keys} keys`);
    assert.deepEqual(await upgradeKeyLayout(connection.client, PREFIX), { names: 2, keys: 0, entries: 0 });
    const oldLeft = (await scanKeys(PREFIX)).filter((key) => key.startsWith(`{${PREFIX}}:`));
    assert.deepEqual(oldLeft, [oldKeys('mail').names], 'keys of the old layout left behind');

    const scheduler = new RedisScheduler(connection.client, { keyPrefix: PREFIX, leaseMs: LEASE_MS, safetyPollMs: 200 });
    const runs: string[] = [];
    for (const name of ['mail', odd]) scheduler.setHandler(name, (taskInfo) => void runs.push(`${name}/${taskInfo}`));
    assert.deepEqual(
      (await scheduler.getStats()).map((s) => [s.name, s.scheduled, s.running, s.dead]),
      [
        ['mail', 2, 1, 1],
        [odd, 1, 0, 0],
      ],
    );
    const [dead] = await scheduler.getDeadTasks('mail');
    assert.equal(dead.taskInfo, 'a-doomed');
    assert.equal(dead.error, 'old failure');
    await scheduler.start();
    try {
      // "b-running" held a lease of the old node: it runs once that lease expires.
      await eventually(() => runs.length === 3, OLD_LEASE_MS + 10_000, 'the moved tasks to run');
      assert.deepEqual(runs.sort(), ['mail/b-running', 'mail/c-due-now', `${odd}/odd-task`]);
      await eventually(async () => (await scheduler.getStats())[0].running === 0, 5_000, 'the acknowledgements');
      assert.deepEqual(
        (await scheduler.getStats()).map((s) => [s.name, s.scheduled, s.running, s.dead]),
        [
          ['mail', 1, 0, 1],
          [odd, 0, 0, 0],
        ],
      );
    } finally {
      await scheduler.stop();
    }
    for (const key of await scanKeys(PREFIX)) await port.send(['DEL', key], key);
  });
});
