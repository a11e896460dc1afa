// `npm test` (after the build): runs every test through `ajs module test` (the AntelopeJS runtime
// loads the provider and this module; test/project.ts starts a private redis-server), then prints
// the closing line "N passed, N failed". Exits non-zero when a test failed or none ran.
// With no argument it runs every file under dist/test except two suites kept out of `npm test` for
// their minutes of work: dist/test/install (`npm run test:install`: packs and installs the package,
// builds the example app) and dist/test/cluster (`npm run test:matrix`: Redis Cluster and every client
// family); with arguments, those files.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { AJS, ajsEnv } = require('./ajs');
const { INSTALL_HINT } = require('./redis');

const ROOT = path.join(__dirname, '..');
const TEST_FOLDER = path.join('dist', 'test');
/** How long the run may take to exit once mocha printed its summary (the project's cleanup included). */
const EXIT_GRACE_MS = 120_000;
const SEPARATE_SUITES = ['install', 'cluster'].map((folder) => path.join(TEST_FOLDER, folder) + path.sep);

/** Every .js under dist/test but the separate suites, as `ajs module test` would load its folder. */
function defaultFiles() {
  return fs
    .readdirSync(path.join(ROOT, TEST_FOLDER), { recursive: true })
    .map((file) => path.join(TEST_FOLDER, file))
    .filter((file) => file.endsWith('.js') && !SEPARATE_SUITES.some((suite) => file.startsWith(suite)))
    .sort();
}

function main() {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.error(`[test] ${INSTALL_HINT}`);
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
    return;
  }
  const files = process.argv.length > 2 ? process.argv.slice(2) : defaultFiles();
  const args = ['module', 'test', ...files.flatMap((file) => ['--file', file])];
  const child = spawn(AJS, args, {
    cwd: ROOT,
    env: ajsEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true, // its own process group, so a hung run can be ended with everything it started
  });
  let output = '';
  let hangTimer;
  let hung = false;
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    output += chunk.toString();
    // Once mocha has printed its summary the run must end; a process that lingers left a handle open.
    if (!hangTimer && / passing \(/.test(output)) {
      hangTimer = setTimeout(() => {
        hung = true;
        process.kill(-child.pid, 'SIGKILL');
      }, EXIT_GRACE_MS);
    }
  });
  child.on('exit', (code, signal) => {
    clearTimeout(hangTimer);
    if (hung) console.error(`[test] the run did not exit ${EXIT_GRACE_MS / 1000} s after its summary (a timer, connection or process was left behind); ended it`);
    const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
    const passed = Number(/(\d+) passing/.exec(plain)?.[1] ?? 0);
    const failed = Number(/(\d+) failing/.exec(plain)?.[1] ?? 0);
    const crashed = (code !== 0 || hung) && failed === 0;
    console.log(`\n${passed} passed, ${failed + (crashed ? 1 : 0)} failed`);
    if (crashed) console.error(`[test] the test run exited with ${signal ?? `code ${code}`}`);
    if (passed === 0) console.error('[test] no test ran');
    process.exitCode = failed > 0 || crashed || passed === 0 ? 1 : 0;
  });
}

main();
