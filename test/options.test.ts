// Configuration: defaults merged, every bad value rejected with the field, what it expects and what it got.
import assert from 'node:assert/strict';
import { DEFAULT_OPTIONS, resolveOptions } from '../src/engine/options';

describe('configuration', () => {
  it('merges the given fields over the defaults', () => {
    assert.deepEqual(resolveOptions({}), DEFAULT_OPTIONS);
    const options = resolveOptions({ concurrency: 4, retryBackoff: 'exponential', keyPrefix: 'app:jobs' });
    assert.deepEqual(options, { ...DEFAULT_OPTIONS, concurrency: 4, retryBackoff: 'exponential', keyPrefix: 'app:jobs' });
    assert.equal(DEFAULT_OPTIONS.maxRetries, 3);
    assert.equal(DEFAULT_OPTIONS.retryDelayMs, 5_000);
    assert.equal(DEFAULT_OPTIONS.migrateLegacyTasks, false);
    assert.equal(DEFAULT_OPTIONS.legacyKey, 'SchedulerUtil.Tasks');
    assert.equal(DEFAULT_OPTIONS.legacyChannel, 'SchedulerUtil');
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['concurrency', 0, /"concurrency" must be an integer from 1 to 10000, received 0/],
    ['concurrency', 2.5, /"concurrency" must be an integer/],
    ['leaseMs', '30000', /"leaseMs" must be an integer from 100 to \d+, received "30000"/],
    ['maxRetries', -1, /"maxRetries" must be an integer from 0 to 1000, received -1/],
    ['retryDelayMs', NaN, /"retryDelayMs" must be an integer .*received NaN/],
    ['retryBackoff', 'linear', /"retryBackoff" must be "fixed" or "exponential", received "linear"/],
    ['retryJitter', 2, /"retryJitter" must be a number from 0 to 1, received 2/],
    ['safetyPollMs', Infinity, /"safetyPollMs" must be an integer .*received Infinity/],
    ['shutdownTimeoutMs', null, /"shutdownTimeoutMs" must be an integer .*received null/],
    ['maxTaskInfoBytes', 0, /"maxTaskInfoBytes" must be an integer from 1/],
    ['allowUnknownHandlers', 'yes', /"allowUnknownHandlers" must be true or false, received "yes"/],
    ['keyPrefix', '', /"keyPrefix" must be a non-empty, well-formed string/],
    ['keyPrefix', 'a{b}', /without "\{", "\}" or the glob characters .*, received "a\{b\}"/],
    // glob characters would widen the ACL key pattern ~{keyPrefix}* to other applications' keys
    ['keyPrefix', 'app*', /"keyPrefix" must be .* without .* glob characters \* \? \[ \] \\, received "app\*"/],
    ['keyPrefix', 'a?', /glob characters/],
    ['keyPrefix', 'a[bc]', /glob characters/],
    ['keyPrefix', 'a]', /glob characters/],
    ['keyPrefix', 'a\\b', /glob characters/],
    ['claimBatchSize', [], /"claimBatchSize" must be an integer .*received an array/],
    ['migrateLegacyTasks', 'yes', /"migrateLegacyTasks" must be true or false, received "yes"/],
    ['legacyKey', '', /"legacyKey" must be a non-empty, well-formed string/],
    ['legacyChannel', 7, /"legacyChannel" must be a non-empty, well-formed string .*received 7/],
  ];
  for (const [field, value, message] of bad) {
    it(`rejects ${field} = ${typeof value === 'string' || Array.isArray(value) ? JSON.stringify(value) : String(value)}`, () => {
      assert.throws(() => resolveOptions({ [field]: value }), message);
    });
  }

  it('rejects an unknown (misspelled) field, listing the valid ones', () => {
    assert.throws(() => resolveOptions({ concurency: 4 }), /unknown field "concurency"; expected one of keyPrefix, concurrency/);
  });

  it('rejects a config that is not an object', () => {
    assert.throws(() => resolveOptions('fast'), /expected an object, received "fast"/);
    assert.throws(() => resolveOptions(null), /expected an object, received null/);
    assert.throws(() => resolveOptions({ concurrency: {} }), /must be an integer from 1 to 10000, received an object$/);
  });
});
