// The randomized history checker, short profile (the full one: `npm run test:history`).
import assert from 'node:assert/strict';
import { SHORT_PROFILE, runProfile, summary } from './profile';

describe('history checker (short profile)', function () {
  this.timeout(120_000);

  it('random add/re-add/remove/stop/start/crash/CLIENT KILL sequences over 3 nodes keep every promise', async () => {
    const seed = Number(process.env.HISTORY_SEED ?? Date.now() % 1_000_000_000);
    const report = await runProfile(process.env.TEST_REDIS_URL!, SHORT_PROFILE, seed);
    console.log(`      ${summary(report)}`);
    assert.deepEqual(report.failures, [], report.failures.join('\n\n'));
    assert.ok(report.sequences >= SHORT_PROFILE.sequences);
  });
});
