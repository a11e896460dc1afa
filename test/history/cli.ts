// `npm run test:history [-- --seed N] [--short] [--sequences N] [--loops N] [--path P] [--buckets N]`: the
// randomized history checker on a private redis-server. Exits 1 on a violation, printing the seed,
// the fast-check path and the shrunk sequence.
import { RedisServerProcess } from '../support/redis-server';
import { FULL_PROFILE, SHORT_PROFILE, runProfile, summary, type HistoryProfile } from './profile';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const base = process.argv.includes('--short') ? SHORT_PROFILE : FULL_PROFILE;
  const buckets = option('--buckets');
  if (buckets !== undefined) process.env.HISTORY_BUCKETS = buckets;
  const profile: HistoryProfile = {
    ...base,
    sequences: Number(option('--sequences') ?? base.sequences),
    loops: Number(option('--loops') ?? base.loops),
  };
  const seed = Number(option('--seed') ?? Date.now() % 1_000_000_000);
  const redis = await RedisServerProcess.start();
  try {
    console.log(`history checker: ${profile.sequences} sequences in ${profile.loops} loops, up to ${profile.maxOps} operations each, first seed ${seed}`);
    const report = await runProfile(redis.url, profile, seed, option('--path'));
    console.log(summary(report));
    for (const failure of report.failures) console.log(`\nFAILED ${failure}`);
    process.exitCode = report.failures.length > 0 ? 1 : 0;
  } finally {
    await redis.destroy();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
