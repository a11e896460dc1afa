// `npm start` as a new user meets it: a wrong REDIS_URL fails in seconds, naming it and the fix; the
// demo project runs to its end under `ajs project run` with clean output and settled stats.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RedisServerProcess } from './support/redis-server';
import { AJS_ENV, runCommand } from './support/run';

const ROOT = join(__dirname, '..', '..');

describe('npm start and the demo', function () {
  this.timeout(90_000);

  it('npm start with an unreachable REDIS_URL fails within 15 s, naming it and what to do', async () => {
    const { output, code, elapsedMs } = await runCommand('npm', ['start'], { cwd: ROOT, env: { REDIS_URL: 'redis://127.0.0.1:1' }, timeoutMs: 30_000 });
    assert.notEqual(code, 0, output);
    assert.ok(elapsedMs < 15_000, `took ${elapsedMs} ms`);
    assert.match(output, /no Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1\. Start Redis there, correct REDIS_URL, or unset it/);
    assert.doesNotMatch(output, /ajs-redis-scheduler@[\d.]+ build/, 'the check comes before the build');
  });

  it('the demo project runs every task, ends with settled stats, and prints no npm error', async () => {
    const redis = await RedisServerProcess.start();
    try {
      const { output } = await runCommand(join(ROOT, 'node_modules', '.bin', 'ajs'), ['project', 'run'], {
        cwd: ROOT,
        env: { ...AJS_ENV, REDIS_URL: redis.url },
        stopWhen: /demo complete/,
      });
      assert.match(output, /demo complete: every task ran once/, output);
      const stats = JSON.parse(/stats: (\[.*\])/.exec(output)?.[1] ?? '[]') as Array<{ name: string; scheduled: number; running: number }>;
      assert.deepEqual(
        stats.map(({ name, scheduled, running }) => ({ name, scheduled, running })),
        [
          { name: 'demo.flaky', scheduled: 0, running: 0 },
          { name: 'demo.greet', scheduled: 0, running: 0 },
        ],
      );
      assert.match(output, /task "demo\.flaky" "\{\\"run\\":\\"[0-9a-f]{8}\\",\\"label\\":\\"payment 42 \(fails twice, then succeeds\)\\"\}" failed \(attempt 1\/4\)/);
      assert.doesNotMatch(output, /npm error|ENOTCACHED/);
    } finally {
      await redis.destroy();
    }
  });
});
