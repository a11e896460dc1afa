// The redis-scheduler bin as an operator runs it: the file package.json names, in its own process,
// against the test redis-server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskContext } from '../src/engine/scheduler';
import { EngineBench } from './support/engines';
import { eventually } from './support/nodes';
import { parsePrometheus, sampleValue } from './support/prometheus';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['redis-scheduler']);
const PREFIX = 'test:cli';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bin on PREFIX to its end (or, with `until`, until its stderr matches, then SIGTERM). */
function cli(args: string[], until?: { stderr: RegExp; then: (stderr: string) => Promise<void> }): Promise<CliRun> {
  return run(BIN, ['--url', process.env.TEST_REDIS_URL!, '--prefix', PREFIX, ...args], until);
}

/** Runs a script of the package with `args`, as cli() does. */
function run(script: string, args: string[], until?: { stderr: RegExp; then: (stderr: string) => Promise<void> }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let triggered = false;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (until && !triggered && until.stderr.test(stderr)) {
        triggered = true;
        until.then(stderr).then(() => child.kill('SIGTERM'), (err) => {
          child.kill('SIGKILL');
          reject(err);
        });
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the redis-scheduler CLI', function () {
  this.timeout(60_000);
  const bench = new EngineBench();
  const failing = new Set<string>();

  before(async () => {
    await bench.connect();
    const node = bench.engine({ keyPrefix: PREFIX, maxRetries: 0, safetyPollMs: 200 });
    node.setHandler('mail', (taskInfo: string, _context: TaskContext) => {
      if (failing.has(taskInfo)) throw new Error(`smtp refused ${taskInfo}\n    at send (mail.js:1:1)`);
    });
    const farMs = Date.now() + 3_600_000;
    for (const taskInfo of ['bounce-1', 'bounce-2', 'bounce-3']) failing.add(taskInfo);
    await node.addTasks([
      ...Array.from({ length: 5 }, (_, i) => ({ name: 'mail', dueTimeMs: farMs + i, taskInfo: `later-${i}` })),
      ...[...failing].map((taskInfo) => ({ name: 'mail', dueTimeMs: 0, taskInfo })),
    ]);
    await node.start();
    await eventually(async () => (await node.getStats())[0].dead === 3, 10_000, 'three deaths');
  });

  after(() => bench.close());

  it('stats: an aligned table, or JSON', async () => {
    const table = await cli(['stats']);
    assert.equal(table.code, 0, table.stderr);
    const [header, row] = table.stdout.trimEnd().split('\n');
    assert.match(header, /^NAME\s+SCHEDULED\s+RUNNING\s+DEAD\s+OVERDUE\s+LAG\s+RETRYING\s+NEXT DUE\s+PAUSED$/);
    assert.match(row, /^mail\s+5\s+0\s+3\s+0\s+-\s+0\s+\d{4}-\d\d-\d\dT\S+Z\s+no$/);
    // right-aligned numbers end where their header ends
    assert.equal(row.indexOf(' 5 ') + 2, header.indexOf('SCHEDULED') + 'SCHEDULED'.length);
    const json = await cli(['--json', 'stats']);
    const [stats] = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual({ ...stats, nextDueMs: 0 }, { name: 'mail', scheduled: 5, running: 0, dead: 3, overdue: 0, oldestOverdueMs: 0, retrying: 0, nextDueMs: 0, paused: false, recurring: 0, coalescedTicks: 0 });
  });

  it('list pages with --limit and the printed cursor; get shows one task, exit 1 when there is none', async () => {
    const first = await cli(['list', 'mail', '--limit', '3']);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.stdout.split('\n').slice(1, 4).map((line) => line.split(/\s+/)[0]), ['later-0', 'later-1', 'later-2']);
    const cursor = /--cursor (\S+)/.exec(first.stdout)?.[1];
    assert.ok(cursor, 'no cursor printed');
    const rest = JSON.parse((await cli(['--json', 'list', 'mail', '--limit', '3', '--cursor', cursor])).stdout) as { tasks: Array<{ taskInfo: string }>; cursor?: string };
    assert.deepEqual(rest.tasks.map((t) => t.taskInfo), ['later-3', 'later-4']);
    assert.equal(rest.cursor, undefined);
    const dead = await cli(['list', 'mail', '--state', 'dead']);
    assert.match(dead.stdout, /^TASKINFO\s+DUE\s+ATTEMPT\s+DIED\s+ERROR\n/);
    assert.match(dead.stdout, /bounce-1 .* smtp refused bounce-1\n/);
    const one = await cli(['get', 'mail', 'bounce-2']);
    assert.equal(one.code, 0);
    assert.match(one.stdout, /^state\s+dead$/m);
    assert.match(one.stdout, /^error:\n {2}Error: smtp refused bounce-2\n {6}at send/m);
    const none = await cli(['get', 'mail', 'no-such-task']);
    assert.equal(none.code, 1);
    assert.match(none.stdout, /no task "no-such-task" of "mail"/);
  });

  it('retry, purge, pause and resume act on Redis', async () => {
    const operator = bench.engine({ keyPrefix: PREFIX, allowUnknownHandlers: true });
    failing.delete('bounce-1');
    const retried = await cli(['retry', 'mail', 'bounce-1']);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, /requeued 1 dead task\(s\) of "mail"/);
    await eventually(async () => (await operator.getTask('mail', 'bounce-1')) === null, 10_000, 'the retried task to succeed');
    assert.match((await cli(['purge', 'mail', '--older-than', '7d'])).stdout, /purged 0 dead task/);
    assert.deepEqual(JSON.parse((await cli(['--json', 'purge', 'mail'])).stdout), { purged: 2 });
    assert.match((await cli(['retry', 'mail', '--all'])).stdout, /requeued 0 dead task/);

    assert.match((await cli(['pause', 'mail'])).stdout, /"mail" is now paused on every node/);
    assert.equal((await operator.getStats())[0].paused, true);
    assert.match((await cli(['pause', 'mail'])).stdout, /was already paused/);
    assert.deepEqual(JSON.parse((await cli(['--json', 'resume', 'mail'])).stdout), { paused: false, changed: true });
    assert.equal((await operator.getStats())[0].paused, false);
  });

  it('metrics prints the Prometheus text; serve-metrics serves it at /metrics until SIGTERM', async () => {
    const printed = await cli(['metrics']);
    assert.equal(sampleValue(parsePrometheus(printed.stdout), 'redis_scheduler_tasks', { name: 'mail', state: 'scheduled' }), 5);
    let scraped = '';
    const served = await cli(['serve-metrics', '--port', '0'], {
      stderr: /serving metrics on (http:\S+)/,
      then: async (stderr) => {
        const url = /serving metrics on (http:\S+)/.exec(stderr)![1];
        const response = await fetch(url);
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
        scraped = await response.text();
        assert.equal((await fetch(url.replace('/metrics', '/other'))).status, 404);
      },
    });
    assert.equal(served.code, 0, served.stderr);
    assert.equal(sampleValue(parsePrometheus(scraped), 'redis_scheduler_tasks', { name: 'mail', state: 'scheduled' }), 5);
  });

  it('errors exit non-zero with a message: usage errors with 2, failures with 1', async () => {
    const usage: Array<[string[], RegExp]> = [
      [[], /a command is required/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['list'], /list needs a handler name/],
      [['list', 'mail', '--state', 'waiting'], /--state must be one of scheduled, running, dead, received "waiting"/],
      [['list', 'mail', '--limit', '0'], /--limit must be an integer from 1 to 10000/],
      [['stats', '--all'], /--all does not apply to stats/],
      [['retry', 'mail'], /retry takes either --all or the taskInfos/],
      [['retry', 'mail', '--all', 'x'], /retry takes either --all or the taskInfos/],
      [['purge', 'mail', '--older-than', 'a week'], /--older-than must be a duration such as/],
      [['serve-metrics'], /--port is required/],
      [['stats', '--bogus'], /Unknown option '--bogus'/],
      [['get', 'mail'], /get takes a name and one taskInfo/],
    ];
    for (const [args, message] of usage) {
      const run = await cli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: exit ${run.code}`);
      assert.match(run.stderr, message);
    }
    const badCursor = await cli(['list', 'mail', '--cursor', 'garbage']);
    assert.equal(badCursor.code, 1);
    assert.match(badCursor.stderr, /cursor is not one returned by listTasks/);
    const unreachable = await new Promise<CliRun>((resolve) => {
      const child = spawn(process.execPath, [BIN, '--url', 'redis://user:secret@127.0.0.1:1', 'stats'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => resolve({ code, stdout: '', stderr }));
    });
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/);
    assert.doesNotMatch(unreachable.stderr, /secret/);
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: redis-scheduler/);
  });

  describe('rebucket', () => {
    const url = () => process.env.TEST_REDIS_URL!;

    it('moves every task of a prefix from 1 to 4 buckets: a 4-bucket node then runs each one; again, it does nothing', async () => {
      const keyPrefix = 'test:cli:rebucket';
      const producer = bench.engine({ keyPrefix, allowUnknownHandlers: true });
      const taskInfos = Array.from({ length: 40 }, (_, i) => `order-${i}`);
      await producer.addTasks(taskInfos.map((taskInfo) => ({ name: 'ship', dueTimeMs: 0, taskInfo })));
      await producer.addTask('later', Date.now() + 3_600_000, 'next-week');

      const moved = await run(BIN, ['rebucket', '--url', url(), '--prefix', keyPrefix, '--buckets', '4', '--json']);
      assert.equal(moved.code, 0, moved.stderr);
      const report = JSON.parse(moved.stdout) as { keyPrefix: string; from: number; to: number; names: number; entries: Record<string, number> };
      assert.deepEqual({ ...report, entries: report.entries.due }, { keyPrefix, from: 1, to: 4, names: 2, entries: 41 });

      const stale = bench.engine({ keyPrefix, buckets: 1 });
      stale.setHandler('ship', () => undefined);
      await assert.rejects(stale.start(), /laid out in 4 bucket\(s\).*redis-scheduler rebucket --url <redis-url> --prefix test:cli:rebucket --buckets 1/);
      const node = bench.engine({ keyPrefix, buckets: 4, safetyPollMs: 200 });
      const ran: string[] = [];
      node.setHandler('ship', (taskInfo: string) => void ran.push(taskInfo));
      await node.start();
      await eventually(async () => ran.length === 40, 10_000, 'the 40 moved tasks ran');
      assert.deepEqual([...ran].sort(), [...taskInfos].sort());
      assert.equal((await node.getTask('later', 'next-week'))?.state, 'scheduled');
      await node.stop();

      // npm run rebucket is the same command (a comma-free --url is standalone)
      const again = await run(join(ROOT, 'scripts', 'rebucket.js'), ['--url', url(), '--prefix', keyPrefix, '--buckets', '4']);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout.trim(), `"${keyPrefix}" already has 4 bucket(s): nothing to do`);
    });

    it('refuses bad input with exit 2, and a prefix whose task is running with exit 1, moving nothing', async () => {
      const usage: Array<[string[], RegExp]> = [
        [['rebucket'], /--buckets is required/],
        [['rebucket', '--buckets', '0'], /--buckets must be an integer from 1 to 256, received "0"/],
        [['rebucket', '--buckets', 'four'], /--buckets must be an integer from 1 to 256, received "four"/],
        [['rebucket', '--buckets', '4', '--name', ''], /--name needs a handler name/],
        [['rebucket', '--buckets', '4', 'extra'], /unexpected argument "extra"/],
        [['stats', '--buckets', '4'], /--buckets does not apply to stats/],
      ];
      for (const [args, message] of usage) {
        const refused = await cli(args);
        assert.equal(refused.code, 2, `${args.join(' ')}: exit ${refused.code}`);
        assert.match(refused.stderr, message);
      }

      const keyPrefix = 'test:cli:rebucket-live';
      const node = bench.engine({ keyPrefix, safetyPollMs: 200 });
      let finish!: () => void;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      node.setHandler('slow', () => finished);
      await node.addTasks([{ name: 'slow', dueTimeMs: 0, taskInfo: 'busy' }, { name: 'slow', dueTimeMs: Date.now() + 3_600_000, taskInfo: 'waiting' }]);
      await node.start();
      await eventually(async () => (await node.getTask('slow', 'busy'))?.state === 'running', 10_000, 'the task runs');
      const refused = await run(BIN, ['rebucket', '--url', url(), '--prefix', keyPrefix, '--buckets', '4']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^redis-scheduler: .*live lease.*nothing was moved/);
      assert.equal(refused.stdout, '');
      assert.equal((await node.getTask('slow', 'waiting'))?.state, 'scheduled');
      finish();
      await node.stop();
      assert.equal(await bench.client.get(`{${keyPrefix}}:buckets`), '1');
    });
  });
});
