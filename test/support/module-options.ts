import type { SchedulerOptions } from '../../src/engine/options';

/** The config the test project gives the module (short delays so retries finish within a test). */
export const MODULE_OPTIONS: Partial<SchedulerOptions> = {
  keyPrefix: 'test:module',
  concurrency: 8,
  leaseMs: 3_000,
  retryDelayMs: 600,
  safetyPollMs: 1_000,
  shutdownTimeoutMs: 1_000,
  // The upgrade path runs through the runtime too (test/legacy-module.test.ts); no other test writes the legacy key.
  migrateLegacyTasks: true,
};
