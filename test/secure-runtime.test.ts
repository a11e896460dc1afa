// A real `ajs project run` (provider, scheduler, app) against a TLS-only redis-server that asks for
// client certificates, logging in as the least-privilege ACL user: it works through the provider's
// config, a wrong password fails fast naming the user, and no log line of the run holds a secret.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import { aclRuleFor } from '../src/engine/acl-rule';
import { eventually } from './support/nodes';
import { TlsRedisServer } from './support/tls-redis-server';

const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'secure-redis');
const PASSWORD = 'tls&acl:p@ss/wörd%20';
const WRONG_PASSWORD = 'not-the-password-9731';

describe('the module over mutual TLS as the ACL user, through `ajs project run`', function () {
  this.timeout(90_000);
  let server: TlsRedisServer;
  let project: ChildProcess | undefined;
  let output = '';

  function run(env: Record<string, string>): void {
    output = '';
    const { caFile, certFile, keyFile } = server.certificates;
    project = spawn(join(ROOT, 'node_modules', '.bin', 'ajs'), ['project', 'run'], {
      cwd: FIXTURE,
      env: {
        ...process.env,
        npm_config_offline: 'true',
        REDIS_URL: server.url,
        REDIS_USERNAME: 'scheduler',
        REDIS_TLS_CA_FILE: caFile,
        REDIS_TLS_CERT_FILE: certFile,
        REDIS_TLS_KEY_FILE: keyFile,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    project.stdout!.on('data', (chunk) => (output += chunk.toString()));
    project.stderr!.on('data', (chunk) => (output += chunk.toString()));
  }

  function assertNoSecretLogged(): void {
    for (const secret of [PASSWORD, WRONG_PASSWORD]) {
      for (const form of [secret, encodeURIComponent(secret)]) assert.ok(!output.includes(form), `a password was logged:\n${output}`);
    }
  }

  before(async () => {
    server = await TlsRedisServer.start(['--acl-pubsub-default', 'resetchannels']);
    const { caFile, certFile, keyFile } = server.certificates;
    const admin = createClient({
      socket: { host: '127.0.0.1', port: server.port, tls: true, ca: readFileSync(caFile), cert: readFileSync(certFile), key: readFileSync(keyFile) },
    });
    await admin.connect();
    await admin.sendCommand(['ACL', 'SETUSER', 'scheduler', 'reset', 'on', `>${PASSWORD}`, ...aclRuleFor('test:secure').split(' ')]);
    await admin.close();
  });

  afterEach(async () => {
    if (project && project.exitCode === null) {
      const exited = new Promise((resolve) => project!.once('exit', resolve));
      project.kill('SIGINT');
      await exited;
    }
  });

  after(async () => {
    await server?.destroy();
  });

  it('connects with the CA and client certificate files of the config, and the scheduler runs a task', async () => {
    run({ REDIS_PASSWORD: PASSWORD });
    await eventually(() => output.includes('RAN queued-before-redis') || output.includes('FAILED'), 60_000, 'the task to run');
    assert.doesNotMatch(output, /FAILED/);
    assert.match(output, new RegExp(`connected to rediss://127\\.0\\.0\\.1:${server.port}`));
    assertNoSecretLogged();
  });

  it('a wrong password: the app gets an error naming the user within seconds, no retry loop, no secret in any log line', async () => {
    run({ REDIS_PASSWORD: WRONG_PASSWORD });
    // connectTimeoutMs is 30 s in the fixture: this is the refusal, not the timeout
    await eventually(() => output.includes('FAILED'), 20_000, 'the call to fail');
    assert.match(output, /FAILED .*redis provider: Redis refused the login of user "scheduler" at rediss:\/\/127\.0\.0\.1:\d+ \(WRONGPASS/);
    const refusals = () => output.split('WRONGPASS').length;
    const seen = refusals();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.equal(refusals(), seen, 'the provider kept retrying a refused login');
    assertNoSecretLogged();
  });
});
