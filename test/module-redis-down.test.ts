// Through the AntelopeJS runtime, a call made while the redis@beta provider never connects rejects
// after redisWaitMs with an error saying what to check, instead of hanging.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort } from './support/redis-server';
import { AJS_ENV, runCommand } from './support/run';

const ROOT = join(__dirname, '..', '..');

describe('module calls while Redis never comes up', function () {
  this.timeout(60_000);

  it('reject after redisWaitMs, saying what was waited for and what to check', async () => {
    const port = await freePort(); // nothing listens there
    const run = await runCommand(join(ROOT, 'node_modules', '.bin', 'ajs'), ['project', 'run'], {
      cwd: join(ROOT, 'test', 'fixtures', 'no-redis'),
      env: { ...AJS_ENV, REDIS_URL: `redis://127.0.0.1:${port}` },
      stopWhen: /FAILED|ADDED/,
      timeoutMs: 45_000,
    });
    assert.match(
      run.output,
      /FAILED redis_scheduler: addTask waited 1000 ms for a connected client from the redis@beta provider and got none; nothing was written\. Check that Redis is running/,
      run.output,
    );
  });
});
