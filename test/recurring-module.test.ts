// Recurring tasks through the AntelopeJS runtime: two projects (`ajs project run`, two processes)
// load an app module that registers the same recurring task in its start(), as every instance of a
// deployed app does. Each tick runs once across both; a restarted project changes nothing.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from './support/nodes';
import { RedisServerProcess } from './support/redis-server';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'recurring');
const EVERY_MS = 500;

/** One `ajs project run` and what it printed. */
class Project {
  output = '';
  private readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (chunk) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static start(folder: string, redisUrl: string): Project {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'ajs'), ['project', 'run'], {
      cwd: join(FIXTURES, folder),
      env: { ...process.env, REDIS_URL: redisUrl, npm_config_offline: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Project(folder, child);
  }

  /** Due times of the ticks this project ran. */
  get ticks(): number[] {
    return [...this.output.matchAll(/RAN beat (\d+) (\d+)/g)].map((m) => Number(m[1]));
  }

  /** `written` of each registration, or an error. */
  get registrations(): string[] {
    return [...this.output.matchAll(/(REGISTERED written=\w+|FAILED .*)/g)].map((m) => m[1]);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGINT');
      await this.exited;
    }
  }
}

describe('recurring tasks through the AntelopeJS runtime, two projects', function () {
  this.timeout(120_000);
  let redis: RedisServerProcess | undefined;
  let projects: Project[] = [];

  afterEach(async () => {
    await Promise.all(projects.map((p) => p.stop()));
    projects = [];
    await redis?.destroy();
  });

  it('a module registering a recurring task in start(): each tick runs once across both, a restart changes nothing', async () => {
    redis = await RedisServerProcess.start();
    projects = [Project.start('project-a', redis.url), Project.start('project-b', redis.url)];
    const all = () => projects.flatMap((p) => p.ticks);
    await eventually(() => projects.every((p) => p.registrations.length === 1), 60_000, 'both projects to register');
    assert.deepEqual(projects.flatMap((p) => p.registrations).sort(), ['REGISTERED written=false', 'REGISTERED written=true']);
    await eventually(() => all().length >= 10, 30_000, '10 ticks');

    // Restart project a: its start() registers again, and the grid goes on unchanged.
    const [first] = projects;
    await first.stop();
    const ticksBeforeRestart = all().length;
    const restarted = Project.start('project-a', redis.url);
    projects.push(restarted);
    await eventually(() => restarted.registrations.length === 1, 60_000, 'the restarted project to register');
    assert.deepEqual(restarted.registrations, ['REGISTERED written=false']);
    await eventually(() => all().length >= ticksBeforeRestart + 6, 30_000, '6 more ticks');
    await Promise.all(projects.map((p) => p.stop()));

    const dues = all().sort((a, b) => a - b);
    assert.equal(new Set(dues).size, dues.length, `a tick ran twice: ${dues.join(', ')}`);
    for (let i = 1; i < dues.length; i++) {
      assert.equal((dues[i] - dues[0]) % EVERY_MS, 0, `tick ${dues[i]} off the grid that started at ${dues[0]}`);
    }
    assert.ok(!/FAILED/.test(projects.map((p) => p.output).join('')), 'a registration failed');
  });
});
