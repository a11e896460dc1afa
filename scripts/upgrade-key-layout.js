// node scripts/upgrade-key-layout.js <redis-url>[,<redis-url>...] [keyPrefix]
// Moves a deployment's tasks from the single-tag key layout to per-name hash tags (see
// docs/cluster.md, "Upgrading the key layout"). Several URLs: they are the root nodes of a cluster.
// Idempotent: run it again after an interruption. Needs the build (npm run build).
'use strict';
const { createClient, createCluster } = require('redis');
const { upgradeKeyLayout } = require('../dist/src/engine/key-layout-upgrade');

async function main() {
  const [urls, keyPrefix] = process.argv.slice(2);
  if (!urls) {
    console.error('usage: node scripts/upgrade-key-layout.js <redis-url>[,<redis-url>...] [keyPrefix]');
    process.exitCode = 2;
    return;
  }
  const list = urls.split(',');
  const client = list.length > 1 ? createCluster({ rootNodes: list.map((url) => ({ url })) }) : createClient({ url: list[0] });
  client.on('error', (err) => console.error(`redis: ${err.message}`));
  await client.connect();
  try {
    const report = await upgradeKeyLayout(client, keyPrefix);
    console.log(`upgraded: ${report.names} name(s), ${report.keys} key(s) moved, ${report.entries} entr(y/ies) copied`);
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
