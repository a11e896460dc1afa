// The redis@beta provider's connection, from its config to a connected client, on real redis-servers:
// ACL logins, refused logins, an unreachable server, and a TLS-only server asking for client certificates.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { resolveConfig, type RedisProviderConfig } from '../modules/redis-provider/src/config';
import { Connection } from '../modules/redis-provider/src/connection';
import type { RedisClient } from './support/redis-client';
import { RedisServerProcess, freePort } from './support/redis-server';
import { TlsRedisServer } from './support/tls-redis-server';

// Reserved URL characters and a percent sign: the password must be percent-encoded in a URL.
const PASSWORD = 'p@ss:w/rd%41 #1';
const WRONG_PASSWORD = 'Wr0ng-Secret-4711';
const GUARD_PASSWORD = 'Guard-Secret-0815';

/** A Connection whose log lines are kept, to check that no secret reaches them. */
function connection(config: RedisProviderConfig) {
  const lines: string[] = [];
  const connection = new Connection(resolveConfig(config), { info: (m) => lines.push(m), error: (m) => lines.push(m) });
  // a standalone config: the client is a node-redis RedisClient
  return { opened: { get: async () => (await connection.get()) as RedisClient, close: () => connection.close() }, lines, connection };
}

function assertNoSecret(texts: string[], ...secrets: string[]): void {
  for (const text of texts) {
    for (const secret of secrets) {
      assert.ok(!text.includes(secret) && !text.includes(encodeURIComponent(secret)), `a secret was logged: ${text}`);
    }
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('redis provider: logins on a real redis-server', function () {
  this.timeout(30_000);
  let redis: RedisServerProcess;
  const connections: Connection[] = [];
  const open = (config: RedisProviderConfig) => {
    const made = connection(config);
    connections.push(made.connection);
    return made;
  };

  before(async () => {
    redis = await RedisServerProcess.start();
    execFileSync('redis-cli', ['-p', String(redis.port), 'ACL', 'SETUSER', 'alice', 'on', `>${PASSWORD}`, '~*', '&*', '+@all']);
  });

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close()));
  });

  after(async () => {
    await redis.destroy();
  });

  it('logs in with "username" and "password", and with the same credentials percent-encoded in the URL', async () => {
    for (const config of [
      { url: redis.url, username: 'alice', password: PASSWORD },
      { url: `redis://alice:${encodeURIComponent(PASSWORD)}@127.0.0.1:${redis.port}` },
    ]) {
      const { opened, lines } = open(config);
      const client = await opened.get();
      assert.equal(await client.sendCommand(['ACL', 'WHOAMI']), 'alice');
      assert.deepEqual(lines.filter((l) => l.startsWith('connected to')).length, 1);
      assertNoSecret(lines, PASSWORD);
    }
  });

  it('a wrong password rejects GetClient() at once, naming the user and never the password', async () => {
    const { opened, lines } = open({ url: redis.url, username: 'alice', password: WRONG_PASSWORD, connectTimeoutMs: 60_000 });
    const err = await rejection(opened.get());
    // connectTimeoutMs is 60 s: this is the refusal, not the timeout
    assert.match(err.message, /Redis refused the login of user "alice" at redis:\/\/127\.0\.0\.1:\d+ \(WRONGPASS/);
    assertNoSecret([err.message, err.stack ?? '', ...lines], WRONG_PASSWORD, PASSWORD);
    assert.ok(lines.some((l) => l.includes('refused the login')), 'the refusal was not logged');
  });

  it('a wrong password in the URL is masked in every line, and a later call logs in once the server accepts it', async () => {
    const url = `redis://alice:${encodeURIComponent(WRONG_PASSWORD)}@127.0.0.1:${redis.port}`;
    const { opened, lines } = open({ url, connectTimeoutMs: 60_000 });
    const err = await rejection(opened.get());
    assert.match(err.message, /user "alice" at redis:\/\/alice:\*\*\*@127\.0\.0\.1/);
    const settled = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(lines.length, settled, 'a refused login kept retrying');

    execFileSync('redis-cli', ['-p', String(redis.port), 'ACL', 'SETUSER', 'alice', `>${WRONG_PASSWORD}`]);
    try {
      const client = await opened.get();
      assert.equal(await client.sendCommand(['ACL', 'WHOAMI']), 'alice');
    } finally {
      execFileSync('redis-cli', ['-p', String(redis.port), 'ACL', 'SETUSER', 'alice', `<${WRONG_PASSWORD}`]);
    }
    assertNoSecret([err.message, ...lines], WRONG_PASSWORD);
  });

  it('no password for a server that requires one: rejected naming the default user', async () => {
    const guarded = await RedisServerProcess.start();
    execFileSync('redis-cli', ['-p', String(guarded.port), 'CONFIG', 'SET', 'requirepass', GUARD_PASSWORD]);
    try {
      const { opened, lines } = open({ url: guarded.url, connectTimeoutMs: 60_000 });
      const err = await rejection(opened.get());
      assert.match(err.message, /Redis refused the login of user "default" at redis:\/\/127\.0\.0\.1:\d+ \(NOAUTH/);
      assertNoSecret([err.message, ...lines], GUARD_PASSWORD);
    } finally {
      await connections.pop()?.close();
      await guarded.destroy();
    }
  });

  it('an unreachable server: each call rejects after connectTimeoutMs naming the target and the last error, and the connection comes up once it starts', async () => {
    const port = await freePort();
    const { opened, lines } = open({ url: `redis://alice:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`, connectTimeoutMs: 500 });
    const err = await rejection(opened.get());
    assert.match(err.message, new RegExp(`no connection to redis://alice:\\*\\*\\*@127\\.0\\.0\\.1:${port} within 500 ms \\(connectTimeoutMs\\); last error: .*ECONNREFUSED`));
    const late = await RedisServerProcess.start([], port);
    try {
      execFileSync('redis-cli', ['-p', String(port), 'ACL', 'SETUSER', 'alice', 'on', `>${PASSWORD}`, '~*', '+@all']);
      let client;
      for (let i = 0; !client; i++) {
        client = await opened.get().catch((e: Error) => (i < 20 ? undefined : Promise.reject(e)));
      }
      assert.equal(await client.sendCommand(['ACL', 'WHOAMI']), 'alice');
      assertNoSecret([err.message, ...lines], PASSWORD);
    } finally {
      await connections.pop()?.close();
      await late.destroy();
    }
  });
});

describe('redis provider: TLS-only redis-server with client certificates (openssl-made CA)', function () {
  this.timeout(30_000);
  let server: TlsRedisServer;
  const connections: Connection[] = [];
  const open = (config: RedisProviderConfig) => {
    const made = connection(config);
    connections.push(made.connection);
    return made;
  };

  before(async () => {
    server = await TlsRedisServer.start();
  });

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close()));
  });

  after(async () => {
    await server?.destroy();
  });

  it('mutual TLS through the config: the private CA from a file or as PEM text, the client certificate and key', async () => {
    const { caFile, certFile, keyFile } = server.certificates;
    for (const tls of [{ caFile, certFile, keyFile }, { ca: readFileSync(caFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') }]) {
      const client = await open({ url: server.url, tls }).opened.get();
      assert.equal(await client.sendCommand(['PING']), 'PONG');
    }
  });

  it('a CA that did not sign the server certificate: rejected at once, saying so', async () => {
    const { otherCaFile, certFile, keyFile } = server.certificates;
    const err = await rejection(open({ url: server.url, tls: { caFile: otherCaFile, certFile, keyFile }, connectTimeoutMs: 60_000 }).opened.get());
    assert.match(err.message, /TLS with rediss:\/\/127\.0\.0\.1:\d+ failed \(.*(certificate|CERT).*\)\. Check "tls.ca"/);
  });

  it('without a client certificate: rejected at once, saying the server wants one', async () => {
    const err = await rejection(open({ url: server.url, tls: { caFile: server.certificates.caFile }, connectTimeoutMs: 60_000 }).opened.get());
    assert.match(err.message, /TLS with .* failed \(.*certificate.*\).*"tls.cert"\/"tls.key"/);
  });

  it('a plain redis:// URL to the TLS port times out with the last error, a missing CA file fails naming the field', async () => {
    const err = await rejection(open({ url: `redis://127.0.0.1:${server.port}`, connectTimeoutMs: 500 }).opened.get());
    assert.match(err.message, /no connection to redis:\/\/127\.0\.0\.1:\d+ within 500 ms/);
    // the provider's construct() calls get() at once: the module load fails with this message
    assert.throws(() => open({ url: server.url, tls: { caFile: '/nonexistent/ca.pem' } }).connection.get(), /cannot read "tls.caFile" \(\/nonexistent\/ca.pem\)/);
  });
});
