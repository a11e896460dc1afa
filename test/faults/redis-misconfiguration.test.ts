// Scenario 9: a Redis whose maxmemory-policy can evict keys. The engine must warn once at start(),
// naming the setting and the safe value; safe policies give no warning.
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { RedisScheduler, type SchedulerLogger } from '../../src/engine/scheduler';
import type { RedisClient } from '../support/redis-client';
import { eventually } from '../support/nodes';
import { RedisServerProcess } from '../support/redis-server';
import { BASE_OPTIONS } from './support/fault-cluster';
import { markScenario, recordScenario } from './support/fault-summary';

const SCENARIO = '9. evicting maxmemory-policy';

/** A logger that keeps every line. */
function capturingLogger(): SchedulerLogger & { lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  const keep = (level: string) => (...args: unknown[]) => lines.push([level, args.map(String).join(' ')]);
  return { lines, error: keep('error'), warn: keep('warn'), info: keep('info'), debug: keep('debug') };
}

/** The lines about maxmemory-policy that a start() on a redis-server started with `redisArgs` logs at warn level. */
async function policyWarnings(redisArgs: string[], restarts = 1): Promise<{ warnings: string[]; ran: boolean }> {
  const redis = await RedisServerProcess.start(redisArgs);
  const client = createClient({ url: redis.url }) as RedisClient;
  client.on('error', () => undefined);
  const logger = capturingLogger();
  const engine = new RedisScheduler(client, BASE_OPTIONS, logger);
  try {
    await client.connect();
    let ran = false;
    engine.setHandler('probe', () => {
      ran = true;
    });
    for (let i = 0; i < restarts; i++) {
      await engine.start();
      if (i < restarts - 1) await engine.stop();
    }
    await engine.addTask('probe', Date.now(), 'still-works');
    await eventually(() => ran, 10_000, 'the probe task to run');
    const warnings = logger.lines.filter(([level, line]) => level === 'warn' && /maxmemory/.test(line)).map(([, line]) => line);
    return { warnings, ran };
  } finally {
    await engine.stop().catch(() => undefined);
    client.destroy();
    await redis.destroy();
  }
}

describe(`fault ${SCENARIO}`, function () {
  this.timeout(60_000);
  let allPassed = true;
  let checked = 0;

  afterEach(function () {
    checked++;
    if (this.currentTest?.state !== 'passed') allPassed = false;
  });

  after(() => {
    recordScenario({ scenario: SCENARIO, tasks: checked, ran: checked, duplicates: 0, lost: 0, dead: 0, note: 'one probe task per Redis config' });
    markScenario(SCENARIO, allPassed);
  });

  for (const policy of ['allkeys-lru', 'allkeys-lfu', 'allkeys-random']) {
    it(`warns once, across stop/start, when maxmemory-policy is ${policy}, naming the setting and the safe value`, async () => {
      const { warnings } = await policyWarnings(['--maxmemory', '100mb', '--maxmemory-policy', policy], 3);
      assert.equal(warnings.length, 1, `warnings: ${JSON.stringify(warnings)}`);
      assert.match(warnings[0], /maxmemory-policy/);
      assert.match(warnings[0], new RegExp(policy));
      assert.match(warnings[0], /noeviction/);
    });
  }

  for (const policy of ['noeviction', 'volatile-lru']) {
    it(`does not warn when maxmemory-policy is ${policy} (task keys have no TTL)`, async () => {
      const { warnings } = await policyWarnings(['--maxmemory-policy', policy]);
      assert.deepEqual(warnings, []);
    });
  }

  it('still warns when CONFIG is disabled (as on managed Redis), e.g. from INFO memory', async () => {
    const { warnings } = await policyWarnings(['--maxmemory-policy', 'allkeys-lru', '--rename-command', 'CONFIG', '']);
    assert.equal(warnings.length, 1, 'an evicting policy went unreported because CONFIG GET is unavailable');
    assert.match(warnings[0], /allkeys-lru/);
  });
});
