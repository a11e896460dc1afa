// `npm start` as a new user meets it: a wrong REDIS_URL fails in seconds, naming it and the fix; the
// demo project runs to its end under `ajs project run` with clean output and settled stats.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { RedisServerProcess } from './support/redis-server';

const ROOT = join(__dirname, '..', '..');

/** What a finished command printed, how it ended and how long it took. */
interface Finished {
  output: string;
  code: number | null;
  elapsedMs: number;
}

/** Runs a command to its end (killed after `timeoutMs`), with stdout and stderr in one string. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, stopWhen?: RegExp): Promise<Finished> {
  const startedMs = Date.now();
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (stopWhen?.test(output)) setTimeout(() => child.kill('SIGINT'), 500);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ output, code, elapsedMs: Date.now() - startedMs });
    }),
  );
}

describe('npm start and the demo', function () {
  this.timeout(90_000);

  it('npm start with an unreachable REDIS_URL fails within 15 s, naming it and what to do', async () => {
    const { output, code, elapsedMs } = await run('npm', ['start'], { REDIS_URL: 'redis://127.0.0.1:1' }, 30_000);
    assert.notEqual(code, 0, output);
    assert.ok(elapsedMs < 15_000, `took ${elapsedMs} ms`);
    assert.match(output, /no Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1\. Start Redis there, correct REDIS_URL, or unset it/);
    assert.doesNotMatch(output, /ajs-redis-scheduler@[\d.]+ build/, 'the check comes before the build');
  });

  it('the demo project runs every task, ends with settled stats, and prints no npm error', async () => {
    const redis = await RedisServerProcess.start();
    try {
      const { output } = await run(
        join(ROOT, 'node_modules', '.bin', 'ajs'),
        ['project', 'run'],
        { REDIS_URL: redis.url, npm_config_offline: 'true', npm_config_loglevel: 'silent' },
        60_000,
        /demo complete/,
      );
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
