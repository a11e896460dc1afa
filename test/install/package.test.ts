// The package as users get it: `npm pack`, installed into a scratch project from the tarball, then
// the engine imported from CommonJS, an ES module and TypeScript (nodenext, and node10), each run
// against Redis; and the AntelopeJS module loaded from the installed package under `ajs project run`.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AJS_ENV, runCommand, type Finished } from '../support/run';

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'package-consumer');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
const INSTALL = ['install', '--no-audit', '--no-fund', '--no-package-lock'];
/** npm's own settings for the commands here (the test runner's environment silences npm for ajs). */
const NPM_ENV = { npm_config_loglevel: 'warn', npm_config_offline: 'false' };
/** Node's types from this repository (the scratch install takes only what the npm cache holds). */
const TYPE_ROOTS = ['--typeRoots', join(ROOT, 'node_modules', '@types')];

function succeeded(result: Finished, what: string): string {
  assert.equal(result.code, 0, `${what} failed:\n${result.output}`);
  return result.output;
}

/** The version installed in this repository, so the scratch install finds it in the npm cache. */
function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

describe('the packed package', function () {
  this.timeout(180_000);
  let scratch: string;
  let tarball: string;
  const redisEnv = () => ({ REDIS_URL: process.env.TEST_REDIS_URL, KEY_PREFIX: `test:package:${process.pid}` });

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'redis-scheduler-package-'));
    // --ignore-scripts: `prepare` would rebuild dist/ under the running tests; the suite runs after a build.
    const pack = succeeded(await runCommand('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: ROOT, env: NPM_ENV }), 'npm pack');
    const [{ filename, files }] = JSON.parse(pack.slice(pack.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(scratch, filename);
    const paths = files.map((f) => f.path);
    assert.ok(paths.includes('dist/src/engine/lua/claim.lua') && paths.includes('dist/src/index.js'), 'the module and its Lua scripts');
    assert.ok(paths.includes('dist/src/interfaces/redis_scheduler/beta/index.d.ts'), 'the interface declarations');
    assert.ok(paths.includes('modules/redis-provider/dist/index.js'), 'the redis@beta provider');
    assert.ok(paths.includes('dist/src/dashboard/client/app.js') && paths.includes('dist/src/dashboard/client/style.css'), "the dashboard page's script and style");
    const extra = paths.filter((p) => /^(dist\/(test|bench)|test|bench|src|scripts|examples)\/|\.map$/.test(p));
    assert.deepEqual(extra, [], 'no tests, benchmark, sources or source maps in the tarball');

    cpSync(FIXTURE, scratch, { recursive: true });
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
    const deps = [tarball, `redis@${installedVersion('redis')}`];
    const install = (mode: string) => runCommand('npm', [...INSTALL, mode, ...deps], { cwd: scratch, env: NPM_ENV, timeoutMs: 120_000 });
    let installed = await install('--offline');
    if (installed.code !== 0) installed = await install('--prefer-offline');
    succeeded(installed, 'npm install of the tarball');
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('runs from CommonJS: require("ajs-redis-scheduler/engine"), and the package root is the engine', async () => {
    const output = succeeded(await runCommand('node', ['consumer.cjs'], { cwd: scratch, env: redisEnv() }), 'the CommonJS consumer');
    assert.match(output, /^RAN from CommonJS$/m);
  });

  it('serves the dashboard from CommonJS: createDashboard, with the page script shipped in the package', async () => {
    const output = succeeded(await runCommand('node', ['dashboard.cjs'], { cwd: scratch, env: redisEnv() }), 'the dashboard consumer');
    assert.match(output, /^DASHBOARD hello=1$/m);
  });

  it('runs from an ES module: import { RedisScheduler } from "ajs-redis-scheduler/engine"', async () => {
    const output = succeeded(await runCommand('node', ['consumer.mjs'], { cwd: scratch, env: redisEnv() }), 'the ES module consumer');
    assert.match(output, /^RAN from an ES module$/m);
  });

  it('type-checks and runs from TypeScript with moduleResolution nodenext, and type-checks with node10', async () => {
    succeeded(await runCommand(TSC, ['-p', 'tsconfig.json', ...TYPE_ROOTS], { cwd: scratch }), 'tsc (nodenext)');
    succeeded(await runCommand(TSC, ['-p', 'tsconfig.node10.json', ...TYPE_ROOTS], { cwd: scratch }), 'tsc (node10)');
    const output = succeeded(await runCommand('node', ['out/consumer.mjs'], { cwd: scratch, env: redisEnv() }), 'the TypeScript consumer');
    assert.match(output, /^RAN from TypeScript \(attempt 1\)$/m);
  });

  it('its declarations are real types: a wrong call does not compile', async () => {
    const result = await runCommand(TSC, ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--types', 'node', ...TYPE_ROOTS, 'misuse.mts'], { cwd: scratch });
    assert.notEqual(result.code, 0);
    assert.match(result.output, /misuse\.mts.*TS2345: Argument of type 'string' is not assignable to parameter of type 'number'/);
  });

  it('loads as an AntelopeJS module (by its main) from the installed package, with the provider it ships', async () => {
    const result = await runCommand(join(ROOT, 'node_modules', '.bin', 'ajs'), ['project', 'run'], {
      cwd: scratch,
      env: { ...AJS_ENV, REDIS_URL: process.env.TEST_REDIS_URL },
      stopWhen: /RAN from AntelopeJS|FAILED/,
      timeoutMs: 60_000,
    });
    assert.match(result.output, /RAN from AntelopeJS/, result.output);
  });
});
