// npm run rebucket -- --url <redis-url>[,<redis-url>...] [--prefix <keyPrefix>] --buckets <n> [--name <name>]... [--json]
// The repository's shortcut for `redis-scheduler rebucket` (src/cli/rebucket.ts, docs/buckets.md): the
// same code. Several comma-separated --url values are the root nodes of a cluster (--cluster of the
// CLI). Needs the build (npm run build:self, which `npm run rebucket` runs first).
'use strict';

const args = process.argv.slice(2).map((arg, i, all) => {
  if (arg === '--url' && all[i + 1]?.includes(',')) return '--cluster';
  if (arg.startsWith('--url=') && arg.includes(',')) return `--cluster=${arg.slice('--url='.length)}`;
  return arg;
});
process.argv.splice(2, process.argv.length - 2, 'rebucket', ...args);
require('../dist/src/cli/main.js');
