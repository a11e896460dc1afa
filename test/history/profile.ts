// Runs many generated sequences: several fast-check loops side by side (each its own seed and key
// prefix, so they share one Redis without touching each other's keys). A failure is shrunk by
// fast-check and reported with its seed, its path and the shrunk sequence.
import fc from 'fast-check';
import { createClient } from 'redis';
import type { RedisClient } from '../support/redis-client';
import { connectionsNamed, describeConnections } from './history-nodes';
import { sequenceArbitrary, type Op } from './ops';
import { runSequence } from './sequence';

/** How much to run. */
export interface HistoryProfile {
  /** sequences in all, shared by the loops */
  sequences: number;
  /** fast-check loops running side by side */
  loops: number;
  /** most operations per sequence */
  maxOps: number;
}

/** `npm test`: well under a minute. */
export const SHORT_PROFILE: HistoryProfile = { sequences: 200, loops: 8, maxOps: 8 };
/**
 * `npm run test:history`: 24 loops of 209 sequences (5,016). A sequence mostly waits (timers, polls),
 * so more loops side by side shorten the run: 16 loops took about 400 s on a loaded 2-core machine, 24 about 225 s.
 */
export const FULL_PROFILE: HistoryProfile = { sequences: 5_000, loops: 24, maxOps: 12 };

/** What a profile run did. */
export interface HistoryReport {
  sequences: number;
  operations: number;
  runs: number;
  seeds: number[];
  elapsedMs: number;
  /** one text per failed loop: seed, path, shrunk sequence and violations */
  failures: string[];
}

/**
 * Runs the profile against the Redis at `url`. `seed` fixes the first loop's seed (the others take
 * the next ones); `path` (with one loop) replays one exact case of a failure report.
 */
export async function runProfile(url: string, profile: HistoryProfile, seed: number, path?: string): Promise<HistoryReport> {
  const admin = createClient({ url }) as RedisClient;
  await admin.connect();
  const startedMs = performance.now();
  const report: HistoryReport = { sequences: 0, operations: 0, runs: 0, seeds: [], elapsedMs: 0, failures: [] };
  try {
    const perLoop = Math.ceil(profile.sequences / profile.loops);
    await Promise.all(
      Array.from({ length: profile.loops }, async (_, loop) => {
        const loopSeed = seed + loop;
        report.seeds.push(loopSeed);
        const lastViolations = new Map<string, string[]>();
        const property = fc.asyncProperty(sequenceArbitrary(profile.maxOps), async (ops: Op[]) => {
          const result = await runSequence(admin, `history:${process.pid}:${loop}`, ops);
          report.sequences++;
          report.operations += ops.length;
          report.runs += result.runs;
          if (result.violations.length > 0) {
            if (lastViolations.size === 0 && process.env.HISTORY_VERBOSE) console.log(`seed ${loopSeed}: first failure, shrinking:\n  ${result.violations.join('\n  ')}`);
            lastViolations.set(JSON.stringify(ops), result.violations);
          }
          return result.violations.length === 0;
        });
        const details = await fc.check(property, { seed: loopSeed, numRuns: perLoop, path, endOnFailure: false });
        if (details.failed) {
          const shrunk = details.counterexample?.[0] as Op[] | undefined;
          report.failures.push(
            [
              `seed ${loopSeed}, path "${details.counterexamplePath}" (replay: npm run test:history -- --seed ${loopSeed} --loops 1 --path "${details.counterexamplePath}")`,
              `shrunk sequence (${shrunk?.length} ops): ${JSON.stringify(shrunk)}`,
              `violations: ${(lastViolations.get(JSON.stringify(shrunk)) ?? [String(details.errorInstance)]).join('\n  ')}`,
            ].join('\n'),
          );
        }
      }),
    );
    // A connection that came up after its sequence's checks still shows here, named after that sequence.
    const left = await connectionsNamed(admin, `history:${process.pid}:`, true);
    if (left.length > 0) report.failures.push(`${left.length} connections left after every sequence ended: ${describeConnections(left)}`);
  } finally {
    report.elapsedMs = performance.now() - startedMs;
    await admin.close();
  }
  return report;
}

/** One line of figures. */
export function summary(report: HistoryReport): string {
  return `${report.sequences} sequences, ${report.operations} operations, ${report.runs} handler runs, seeds ${report.seeds.sort((a, b) => a - b).join(',')}, ${(report.elapsedMs / 1000).toFixed(1)} s`;
}
