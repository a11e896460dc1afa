// npm run rebucket -- --url <redis-url>[,<redis-url>...] [--prefix <keyPrefix>] --buckets <n> [--name <name>]...
// Offline: moves every task of a key prefix to another bucket count (docs/buckets.md). Stop every
// node and producer of the prefix first; it refuses while a task runs. Several URLs: the root nodes
// of a cluster. Safe to run again after an interruption. Needs the build (npm run build:self).
'use strict';
const { parseArgs } = require('node:util');
const { createClient, createCluster } = require('redis');
const { rebucket } = require('../dist/src/engine/bucket-move');

const USAGE = 'usage: npm run rebucket -- --url <redis-url>[,<redis-url>...] [--prefix <keyPrefix>] --buckets <n> [--name <name>]...';

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        prefix: { type: 'string', default: 'ajs:scheduler' },
        buckets: { type: 'string' },
        name: { type: 'string', multiple: true, default: [] },
      },
    }));
  } catch (err) {
    console.error(`${err.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const buckets = Number(values.buckets);
  if (!values.url || !/^\d+$/.test(values.buckets ?? '')) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const urls = values.url.split(',');
  const client = urls.length > 1 ? createCluster({ rootNodes: urls.map((url) => ({ url })) }) : createClient({ url: urls[0] });
  client.on('error', (err) => console.error(`redis: ${err.message}`));
  await client.connect();
  try {
    const report = await rebucket(client, { keyPrefix: values.prefix, buckets, names: values.name });
    const moved = Object.entries(report.entries).map(([kind, n]) => `${kind} ${n}`).join(', ') || 'nothing';
    console.log(
      report.from === report.to
        ? `"${values.prefix}" already has ${report.to} bucket(s): nothing to do`
        : `re-bucketed "${values.prefix}" from ${report.from} to ${report.to} bucket(s): ${report.names} name(s); entries moved: ${moved}`,
    );
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
