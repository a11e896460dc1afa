// `npm start`: finds a Redis (scripts/redis.js; a REDIS_URL with no Redis behind it fails here, in
// seconds, saying what to fix), builds, then runs the demo project (antelope.json: provider +
// scheduler + demo app) under `ajs project run`, and stops once the demo is complete.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');
const { AJS, ajsEnv } = require('./ajs');
const { redactUrl, resolveRedis } = require('./redis');

const ROOT = path.join(__dirname, '..');
const DONE_MARK = 'demo complete';
const TIMEOUT_MS = 60_000;

async function main() {
  const redis = await resolveRedis();
  console.log(`[start] Redis: ${redis.source} (${redactUrl(redis.url)})`);
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) {
    await redis.stop();
    throw new Error('the build failed (see above)');
  }
  const child = spawn(AJS, ['project', 'run'], {
    cwd: ROOT,
    env: ajsEnv({ REDIS_URL: redis.url }),
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
