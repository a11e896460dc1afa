// Calls made before the provider has a connection queue, then succeed once Redis is up:
// a real `ajs project run` whose Redis starts only after the app has called the scheduler.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from './support/nodes';
import { RedisServerProcess, freePort } from './support/redis-server';

const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'late-redis');

describe('calls before Redis is reachable', function () {
  this.timeout(60_000);
  let project: ChildProcess | undefined;
  let redis: RedisServerProcess | undefined;

  afterEach(async () => {
    if (project && project.exitCode === null) {
      const exited = new Promise((resolve) => project!.once('exit', resolve));
      project.kill('SIGINT');
      await exited;
    }
    await redis?.destroy();
  });

  it('queue in the interface and succeed once the provider connects', async () => {
    const port = await freePort();
    let output = '';
    project = spawn(join(ROOT, 'node_modules', '.bin', 'ajs'), ['project', 'run'], {
      cwd: FIXTURE,
      env: { ...process.env, REDIS_URL: `redis://127.0.0.1:${port}`, npm_config_offline: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    project.stdout!.on('data', (chunk) => (output += chunk.toString()));
    project.stderr!.on('data', (chunk) => (output += chunk.toString()));

    await eventually(() => output.includes('CALLED'), 30_000, 'the app to call addTask');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.doesNotMatch(output, /ADDED|RAN|FAILED/, 'a call completed without Redis');

    redis = await RedisServerProcess.start([], port);
    await eventually(() => output.includes('RAN queued-before-redis') && output.includes('ADDED'), 30_000, 'the queued calls to complete');
    assert.doesNotMatch(output, /FAILED/);
  });
});
