// Issue 13: `redis-scheduler dashboard` serves the dashboard (127.0.0.1 by default), with the token,
// actions and /metrics as asked, and refuses to act for other machines without a token.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { EngineBench } from '../support/engines';
import { scanKeys } from '../support/scan-keys';

const BIN = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
const PREFIX = 'test:dashboard-cli';
const TOKEN = 'cli-test-token';

interface Served {
  code: number | null;
  stderr: string;
}

/** Runs the CLI; once stderr names the dashboard's address, runs `then` with it, then sends SIGTERM. */
function dashboard(args: string[], then?: (url: string) => Promise<void>): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--url', process.env.TEST_REDIS_URL!, '--prefix', PREFIX, 'dashboard', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let started = false;
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /dashboard on (http:\S+)/.exec(stderr);
      if (match && !started && then) {
        started = true;
        then(match[1]).then(
          () => child.kill('SIGTERM'),
          (err) => {
            child.kill('SIGKILL');
            reject(err);
          },
        );
      }
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('dashboard: the redis-scheduler dashboard command', function () {
  this.timeout(30_000);
  const bench = new EngineBench();

  before(async () => {
    await bench.connect();
    await bench.engine({ keyPrefix: PREFIX, allowUnknownHandlers: true }).addTask('mail', Date.now() + 60_000, 'hello');
  });
  after(async () => {
    const keys = await scanKeys(PREFIX);
    if (keys.length > 0) await bench.client.del(keys);
    await bench.close();
  });

  it('serves the page and the API on 127.0.0.1, with the token, actions and /metrics as asked, until SIGTERM', async () => {
    const served = await dashboard(['--port', '0', '--allow-actions', '--token', TOKEN, '--metrics'], async (url) => {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal((await fetch(url)).status, 401);
      const auth = { authorization: `Bearer ${TOKEN}` };
      const page = await fetch(url, { headers: auth });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /"allowActions":true/);
      const overview = (await (await fetch(`${url}api/overview`, { headers: auth })).json()) as { stats: Array<{ name: string; scheduled: number }> };
      assert.deepEqual(overview.stats.map((s) => [s.name, s.scheduled]), [['mail', 1]]);
      const metrics = await fetch(`${url}metrics`, { headers: auth });
      assert.match(await metrics.text(), /redis_scheduler_tasks\{name="mail",state="scheduled"\} 1/);
    });
    assert.equal(served.code, 0, served.stderr);
    assert.match(served.stderr, /actions allowed, token required/);
  });

  it('is read-only by default', async () => {
    const served = await dashboard(['--port', '0'], async (url) => {
      const refused = await fetch(`${url}api/actions/pause`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"mail"}' });
      assert.equal(refused.status, 403);
      assert.equal((await fetch(`${url}metrics`)).status, 404);
      // without a token, a name rebound to this address (DNS rebinding) gets nothing
      const port = new URL(url).port;
      assert.equal((await fetch(`http://localhost:${port}/`)).status, 200);
      const rebound = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: `evil.example:${port}` } }, (res) => resolve(res.statusCode ?? 0));
        req.on('error', reject);
        req.end();
      });
      assert.equal(rebound, 421);
    });
    assert.equal(served.code, 0, served.stderr);
    assert.match(served.stderr, /\(read-only\)/);
  });

  it('refuses to allow actions on another interface without a token, and a short token', async () => {
    const open = await dashboard(['--host', '0.0.0.0', '--allow-actions']);
    assert.equal(open.code, 2);
    assert.match(open.stderr, /--allow-actions on --host 0\.0\.0\.0 needs --token/);
    const short = await dashboard(['--token', 'abc']);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /--token must be at least 8 characters/);
  });
});
