// How the scripts run the AntelopeJS CLI (`ajs`, from @antelopejs/core 0.3.2).
'use strict';
const path = require('node:path');

const AJS = path.join(__dirname, '..', 'node_modules', '.bin', 'ajs');

/**
 * The environment for an `ajs` call. Every call first runs `npm view @antelopejs/core version` to
 * say whether a newer core exists: offline that waits ~70 s for the registry unless
 * npm_config_offline is set, and then fails with an `npm error ENOTCACHED` block on stderr (the
 * check's failure is harmless: ajs carries on). The silent npm log level drops that block.
 */
function ajsEnv(extra = {}) {
  return { ...process.env, npm_config_offline: 'true', npm_config_loglevel: 'silent', ...extra };
}

module.exports = { AJS, ajsEnv };
