// Finds a Redis for the demo and the tests: REDIS_URL if set, else 127.0.0.1:6379 if it answers,
// else a private redis-server on a free port (stopped by stop()), else an error saying what to install.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const net = require('node:net');

const INSTALL_HINT =
  'Redis is needed and none was found: set REDIS_URL, start Redis on 127.0.0.1:6379, or install redis-server ' +
  '(Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) so a private one can be started.';

/** Resolves true if a Redis answers PING on host:port within timeoutMs. */
function pingRedis(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** The URL without its username and password. */
function redactUrl(url) {
  try {
    const parsed = new URL(url);
    if (parsed.username) parsed.username = '***';
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Resolves undefined if a Redis answers at `url` within timeoutMs (any reply counts: a password-protected
 * Redis answers PING with NOAUTH, and the provider logs in later), else a sentence saying what failed.
 * rediss:// is checked up to the TCP connection (no TLS handshake here).
 */
function checkRedisUrl(url, timeoutMs = 3000) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.resolve('it is not a valid URL (expected redis://host:port or rediss://host:port)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    return Promise.resolve(`its scheme is "${parsed.protocol}" (expected redis:// or rediss://)`);
  }
  const port = Number(parsed.port || 6379);
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    const done = (problem) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('error', (err) => done(err.message || err.code || String(err)));
    socket.once('connect', () => (parsed.protocol === 'rediss:' ? done(undefined) : socket.write('PING\r\n')));
    socket.once('data', (data) => done(/^[+-]/.test(data.toString()) ? undefined : 'what answers there is not Redis'));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function hasRedisServer() {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts a throw-away redis-server (no persistence) on a free port; resolves { url, stop }. */
async function startPrivateRedis(extraArgs = []) {
  if (!hasRedisServer()) throw new Error(INSTALL_HINT);
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100 && !(await pingRedis(port)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await pingRedis(port))) {
    child.kill('SIGKILL');
    throw new Error(`redis-server did not answer on port ${port}`);
  }
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url: `redis://127.0.0.1:${port}`, stop, port };
}

/**
 * REDIS_URL (checked: rejects within seconds, saying what to fix, if no Redis answers there), else
 * the local default Redis, else a private one.
 */
async function resolveRedis() {
  const url = process.env.REDIS_URL;
  if (url) {
    const problem = await checkRedisUrl(url);
    if (problem) {
      throw new Error(
        `no Redis at REDIS_URL=${redactUrl(url)}: ${problem}. Start Redis there, correct REDIS_URL, or unset it ` +
          '(then npm start uses 127.0.0.1:6379 if a Redis answers there, else starts a private redis-server).',
      );
    }
    return { url, stop: async () => undefined, source: 'REDIS_URL' };
  }
  if (await pingRedis(6379)) return { url: 'redis://127.0.0.1:6379', stop: async () => undefined, source: 'local Redis on 127.0.0.1:6379' };
  const redis = await startPrivateRedis();
  return { ...redis, source: `private redis-server on port ${redis.port}` };
}

module.exports = { resolveRedis, startPrivateRedis, checkRedisUrl, redactUrl, INSTALL_HINT };
