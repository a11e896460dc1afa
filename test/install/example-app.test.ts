// examples/app, the project the README points users at, built and run exactly as written:
// `npm ci`, `npm run build`, `ajs project run` (its own AntelopeJS and TypeScript), against Redis.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RedisServerProcess } from '../support/redis-server';
import { AJS_ENV, runCommand, type Finished } from '../support/run';

const EXAMPLE = join(__dirname, '..', '..', '..', 'examples', 'app');
const NPM_ENV = { npm_config_loglevel: 'warn', npm_config_offline: 'false' };

function succeeded(result: Finished, what: string): string {
  assert.equal(result.code, 0, `${what} failed:\n${result.output}`);
  return result.output;
}

describe('the example app (examples/app)', function () {
  this.timeout(300_000);
  let redis: RedisServerProcess | undefined;

  after(async () => redis?.destroy());

  it('installs from its lock file, builds, and runs under `ajs project run`, showing its own log lines', async () => {
    const ci = (mode: string) => runCommand('npm', ['ci', mode, '--no-audit', '--no-fund'], { cwd: EXAMPLE, env: NPM_ENV, timeoutMs: 240_000 });
    let installed = await ci('--offline');
    if (installed.code !== 0) installed = await ci('--prefer-offline');
    succeeded(installed, 'npm ci');
    succeeded(await runCommand('npm', ['run', 'build'], { cwd: EXAMPLE, env: NPM_ENV, timeoutMs: 120_000 }), 'npm run build');

    redis = await RedisServerProcess.start();
    const run = await runCommand(join(EXAMPLE, 'node_modules', '.bin', 'ajs'), ['project', 'run'], {
      cwd: EXAMPLE,
      env: { ...AJS_ENV, REDIS_URL: redis.url },
      stopWhen: /reminder for user 42:|\[ERROR\]/,
      timeoutMs: 60_000,
    });
    assert.match(run.output, new RegExp(`connected to ${redis.url.replace(/[.]/g, '\\.')}`), run.output);
    assert.match(run.output, /\[INFO\] scheduled a reminder for user 42 in 2000 ms/);
    assert.match(run.output, /\[INFO\] reminder for user 42: stand up and stretch \(attempt 1\)/);
    assert.doesNotMatch(run.output, /\[ERROR\]|npm error/);
  });
});
