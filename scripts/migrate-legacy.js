// `npm run migrate-legacy -- --url redis://host:6379 [--key-prefix P] [--legacy-key K]`: moves the
// published AntelopeJS scheduler's tasks (sorted set SchedulerUtil.Tasks) into this module's keys once,
// then prints what it did. Safe beside running nodes and other runs (see docs/upgrading.md).
'use strict';
const path = require('node:path');
const { parseArgs } = require('node:util');

const USAGE =
  'usage: npm run migrate-legacy -- --url redis://host:6379 [--key-prefix ajs:scheduler] [--legacy-key SchedulerUtil.Tasks]\n' +
  '  --url         the Redis holding both (default: $REDIS_URL)\n' +
  "  --key-prefix  this module's keyPrefix, as in the app's config (default: ajs:scheduler)\n" +
  "  --legacy-key  the published scheduler's sorted set (default: SchedulerUtil.Tasks)";

/** The URL without its password, for messages. */
function redact(url) {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: { url: { type: 'string' }, 'key-prefix': { type: 'string' }, 'legacy-key': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) return undefined;
  const url = values.url ?? process.env.REDIS_URL;
  if (!url) throw new Error('--url is required (or set REDIS_URL)');
  const options = { allowUnknownHandlers: true };
  if (values['key-prefix'] !== undefined) options.keyPrefix = values['key-prefix'];
  if (values['legacy-key'] !== undefined) options.legacyKey = values['legacy-key'];
  return { url, options };
}

async function main() {
  let parsed;
  try {
    parsed = readOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`[migrate-legacy] ${err.message}\n${USAGE}`);
    return 2;
  }
  if (!parsed) {
    console.log(USAGE);
    return 0;
  }
  const { createClient } = require('redis');
  const engineDir = path.join(__dirname, '..', 'dist', 'src', 'engine');
  const { RedisScheduler } = require(path.join(engineDir, 'scheduler.js'));
  try {
    require(path.join(engineDir, 'options.js')).resolveOptions(parsed.options);
  } catch (err) {
    console.error(`[migrate-legacy] ${err.message}`);
    return 2;
  }
  const client = createClient({ url: parsed.url, socket: { connectTimeout: 5_000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    console.error(`[migrate-legacy] could not connect to ${redact(parsed.url)}: ${err.message || err.code || err}`);
    return 1;
  }
  try {
    const engine = new RedisScheduler(client, parsed.options);
    const { legacyKey, keyPrefix } = engine.settings;
    const { migrated, skipped, remaining } = await engine.migrateLegacyTasks();
    console.log(`[migrate-legacy] moved ${migrated} task(s) from "${legacyKey}" on ${redact(parsed.url)} into {${keyPrefix}}`);
    if (skipped > 0) console.log(`[migrate-legacy] left ${skipped} member(s) that cannot be tasks here (see the warnings above)`);
    if (remaining > 0) console.log(`[migrate-legacy] "${legacyKey}" still holds ${remaining} member(s)`);
    return 0;
  } finally {
    await client.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(`[migrate-legacy] failed: ${err.stack || err}`);
    process.exitCode = 1;
  },
);
