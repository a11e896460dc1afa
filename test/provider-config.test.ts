// The redis@beta provider's config checks: a bad config fails the load with a message naming the field.
import assert from 'node:assert/strict';
import { DEFAULT_CONNECT_TIMEOUT_MS, resolveConfig } from '../modules/redis-provider/src/config';
import { Redactor, redactUrl } from '../modules/redis-provider/src/redact';

function rejects(config: unknown, message: RegExp): void {
  assert.throws(() => resolveConfig(config), (err: Error) => {
    assert.match(err.message, message);
    return true;
  });
}

describe('redis provider config', () => {
  it('defaults to a local standalone server with a 10 s connect timeout', () => {
    assert.deepEqual(resolveConfig(undefined), {
      kind: 'standalone',
      node: { url: 'redis://127.0.0.1:6379' },
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    });
    assert.equal(DEFAULT_CONNECT_TIMEOUT_MS, 10_000);
  });

  it('takes url, username, password, tls and connectTimeoutMs', () => {
    const tls = { caFile: '/etc/ca.pem', certFile: '/etc/c.pem', keyFile: '/etc/c.key', servername: 'redis.local', rejectUnauthorized: true };
    assert.deepEqual(resolveConfig({ url: 'rediss://h:6380/2', username: 'app', password: 'pw', tls, connectTimeoutMs: 2_000 }), {
      kind: 'standalone',
      node: { url: 'rediss://h:6380/2', username: 'app', password: 'pw', tls },
      connectTimeoutMs: 2_000,
    });
  });

  it('takes a cluster with root nodes, their own credentials and createCluster options', () => {
    const config = resolveConfig({
      cluster: {
        rootNodes: [{ url: 'redis://127.0.0.1:7000' }, { url: 'rediss://u:p@127.0.0.1:7001', tls: { ca: 'PEM' } }],
        useReplicas: true,
        minimizeConnections: false,
        maxCommandRedirections: 8,
        nodeAddressMap: { '10.0.0.1:6379': { host: 'localhost', port: 7000 } },
      },
      password: undefined,
    });
    assert.equal(config.kind, 'cluster');
    assert.equal(config.kind === 'cluster' && config.cluster.rootNodes[1].tls?.ca, 'PEM');
    assert.equal(config.kind === 'cluster' && config.cluster.maxCommandRedirections, 8);
  });

  it('rejects unknown fields, naming the field and where it is', () => {
    rejects({ url: 'redis://h', host: 'h' }, /unknown field "host"; expected one of url, cluster/);
    rejects({ cluster: { rootNodes: [{ url: 'redis://h:1' }], scripts: {} } }, /unknown field "scripts" in "cluster"/);
    rejects({ cluster: { rootNodes: [{ url: 'redis://h:1', port: 1 }] } }, /unknown field "port" in "cluster.rootNodes\[0\]"/);
    rejects({ url: 'rediss://h', tls: { cafile: 'x' } }, /unknown field "cafile" in "tls"/);
  });

  it('rejects bad values, naming the field', () => {
    rejects('redis://h', /expected|must be an object/);
    rejects({ url: 'http://h' }, /"url" must be a redis:\/\/ or rediss:\/\/ URL, received "http:\/\/h"/);
    rejects({ url: 'redis://h', connectTimeoutMs: 0 }, /"connectTimeoutMs" must be an integer from 100/);
    rejects({ url: 'redis://h', username: '' }, /"username" must be a non-empty string/);
    rejects({ url: 'rediss://h', tls: { rejectUnauthorized: 'no' } }, /"tls.rejectUnauthorized" must be true or false/);
    rejects({ cluster: { rootNodes: [] } }, /"cluster.rootNodes" must be a non-empty array/);
    rejects({ cluster: { rootNodes: [{ url: 'redis://h:1' }], maxCommandRedirections: -1 } }, /"cluster.maxCommandRedirections" must be an integer/);
    rejects({ cluster: { rootNodes: [{ url: 'redis://h:1/3' }] } }, /"cluster.rootNodes\[0\].url" must be a URL without a database number/);
    rejects({ cluster: { rootNodes: [{ url: 'redis://h:1' }], nodeAddressMap: { a: { host: 'x', port: 0 } } } }, /nodeAddressMap\["a"\].port" must be an integer/);
  });

  it('rejects contradictions: url and cluster, credentials twice, tls without rediss, half a client certificate', () => {
    rejects({ url: 'redis://h', cluster: { rootNodes: [{ url: 'redis://h:1' }] } }, /"url" .* or "cluster", not both/);
    rejects({ url: 'redis://u:p@h', password: 'q' }, /password is given twice, in "url" and in "password"/);
    rejects({ url: 'redis://u@h', username: 'v' }, /user is given twice/);
    rejects({ url: 'redis://h', tls: { ca: 'PEM' } }, /"tls" is set but "url" is not a rediss:\/\/ URL/);
    rejects({ url: 'rediss://h', tls: { ca: 'PEM', caFile: '/x' } }, /give "tls.ca" or "tls.caFile", not both/);
    rejects({ url: 'rediss://h', tls: { certFile: '/c.pem' } }, /"tls" needs both a client certificate .* and its key/);
  });

  it('never echoes a password it rejects, and explains percent-encoding for a URL that does not parse', () => {
    rejects({ url: 'http://u:hunter2@h' }, /"url" must be a redis:\/\/ or rediss:\/\/ URL, received "http:\/\/u:\*\*\*@h/);
    rejects({ cluster: { rootNodes: [{ url: 'redis://u:hunter2@h:1/2' }] } }, /received "redis:\/\/u:\*\*\*@h:1\/2"/);
    assert.throws(
      () => resolveConfig({ url: 'redis://u:p@ss@h:1:2' }),
      (err: Error) => /percent-encode/.test(err.message) && !err.message.includes('p@ss'),
    );
  });

  it('redacts passwords in URLs and in any text', () => {
    assert.equal(redactUrl('redis://alice:s%40cret@h:6379/1'), 'redis://alice:***@h:6379/1');
    assert.equal(redactUrl('rediss://h:6380'), 'rediss://h:6380');
    const redactor = new Redactor(['s@cret']);
    assert.equal(redactor.scrub('auth s@cret then s%40cret'), 'auth *** then ***');
  });
});
