// `npm start`: runs the demo project (antelope.json: provider + scheduler + demo app) under
// `ajs project run` against a Redis found by scripts/redis.js, and stops once the demo is complete.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const { resolveRedis } = require('./redis');

const ROOT = path.join(__dirname, '..');
const AJS = path.join(ROOT, 'node_modules', '.bin', 'ajs');
const DONE_MARK = 'demo complete';
const TIMEOUT_MS = 60_000;

async function main() {
  const redis = await resolveRedis();
  console.log(`[start] Redis: ${redis.source} (${redis.url})`);
  // npm_config_offline: ajs asks the registry for its own version on every call; this skips that.
  const child = spawn(AJS, ['project', 'run'], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: redis.url, npm_config_offline: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let done = false;
  const stopChild = () => child.exitCode === null && child.kill('SIGINT');
  const timer = setTimeout(() => {
    console.error(`[start] the demo did not complete within ${TIMEOUT_MS} ms`);
    stopChild();
  }, TIMEOUT_MS);
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (!done && chunk.toString().includes(DONE_MARK)) {
      done = true;
      setTimeout(stopChild, 500);
    }
  });
  process.once('SIGINT', stopChild);
  const code = await new Promise((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  clearTimeout(timer);
  await redis.stop();
  process.exitCode = done ? 0 : code || 1;
}

main().catch((err) => {
  console.error(`[start] ${err.message}`);
  process.exitCode = 1;
});
