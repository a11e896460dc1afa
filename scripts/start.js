// `npm start`: finds a Redis (scripts/redis.js; a REDIS_URL with no Redis behind it fails here, in
// seconds, saying what to fix), builds unless the build is newer than every source, then runs the demo project (antelope.json: provider +
// scheduler + demo app) under `ajs project run`, and stops once the demo is complete.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { AJS, ajsEnv } = require('./ajs');
const { redactUrl, resolveRedis } = require('./redis');

const ROOT = path.join(__dirname, '..');
const DONE_MARK = 'demo complete';
const TIMEOUT_MS = 60_000;
/** The three packages `npm run build` compiles: their sources and tsconfig, and one output file each. */
const PACKAGES = [
  { dir: '.', src: 'src', output: 'dist/src/index.js' },
  { dir: 'modules/redis-provider', src: 'src', output: 'dist/index.js' },
  { dir: 'modules/demo-app', src: 'src', output: 'dist/index.js' },
];

function newestMtimeMs(dir) {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((newest, entry) => Math.max(newest, fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs), 0);
}

/** Whether a source or tsconfig changed since the last build (or nothing was built yet). */
function buildIsStale() {
  return PACKAGES.some(({ dir, src, output }) => {
    const built = path.join(ROOT, dir, output);
    if (!fs.existsSync(built)) return true;
    const sources = Math.max(newestMtimeMs(path.join(ROOT, dir, src)), fs.statSync(path.join(ROOT, dir, 'tsconfig.json')).mtimeMs);
    return sources > fs.statSync(built).mtimeMs;
  });
}

async function main() {
  const redis = await resolveRedis();
  console.log(`[start] Redis: ${redis.source} (${redactUrl(redis.url)})`);
  if (buildIsStale()) {
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) {
      await redis.stop();
      throw new Error('the build failed (see above)');
    }
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
