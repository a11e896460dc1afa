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

/** REDIS_URL, else the local default Redis, else a private one. */
async function resolveRedis() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined, source: 'REDIS_URL' };
  if (await pingRedis(6379)) return { url: 'redis://127.0.0.1:6379', stop: async () => undefined, source: 'local Redis on 127.0.0.1:6379' };
  const redis = await startPrivateRedis();
  return { ...redis, source: `private redis-server on port ${redis.port}` };
}

module.exports = { resolveRedis, startPrivateRedis, INSTALL_HINT };
