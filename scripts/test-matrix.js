// `npm run test:matrix` (after the build): the client x topology matrix. For each client family
// (node-redis 6, node-redis 4, ioredis) on a standalone server and on a local Redis Cluster
// (3 masters + 3 replicas), it runs the port, module-contract, multi-process and key-upgrade tests
// through `ajs module test`; then the cluster-only tests (failover, slot migration). Prints one
// closing line "N passed, N failed" and exits non-zero when a test failed or none ran.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const CLIENTS = ['node-redis-6', 'node-redis-4', 'ioredis'];
const TOPOLOGIES = ['standalone', 'cluster'];
const CONTRACT_FILES = ['redis-port', 'module', 'multi-node', 'key-layout-upgrade'].map((f) => `dist/test/${f}.test.js`);
const CLUSTER_FILES = ['buckets', 'failover', 'slot-migration'].map((f) => `dist/test/cluster/${f}.test.js`);

/** Runs scripts/test.js on `files` with `env`, streaming its output; resolves to its counts. */
function runSuite(label, env, files) {
  console.log(`\n[matrix] ${label}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'test.js'), 'dist/test/exit-code.js', ...files], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk.toString();
    });
    child.on('exit', (code) => {
      const last = /^(\d+) passed, (\d+) failed$/m.exec(output.trim().split('\n').at(-1) ?? '');
      const failed = last ? Number(last[2]) : 1;
      resolve({ label, passed: Number(last?.[1] ?? 0), failed: failed + (code !== 0 && failed === 0 ? 1 : 0) });
    });
  });
}

async function main() {
  const results = [];
  for (const topology of TOPOLOGIES) {
    for (const client of CLIENTS) {
      results.push(await runSuite(`${client} on ${topology}`, { TEST_REDIS_CLIENT: client, TEST_REDIS_TOPOLOGY: topology }, CONTRACT_FILES));
    }
  }
  for (const client of CLIENTS) {
    // node-redis 4 clusters keep a stale slot map after a failover and lost acknowledged tasks in our
    // runs (docs/cluster.md): the slot migration is tested with it, the failover is not claimed.
    const files = client === 'node-redis-4' ? CLUSTER_FILES.filter((file) => !file.includes('failover')) : CLUSTER_FILES;
    results.push(await runSuite(`cluster faults with ${client}`, { TEST_REDIS_CLIENT: client, TEST_REDIS_TOPOLOGY: 'cluster' }, files));
  }

  console.log('\n[matrix] summary');
  for (const r of results) console.log(`  ${r.label.padEnd(32)} ${r.passed} passed, ${r.failed} failed`);
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

main();
