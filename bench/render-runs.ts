// `node dist/bench/render-runs.js [--smoke] a.json b.json …`: the scale tables (idle names, cluster)
// of several `npm run bench -- --json` outputs taken together, e.g. runs alternated with another
// build on a shared machine. Prints medians (min–max) over every run of every file.
import { readFileSync } from 'node:fs';
import { FULL, SMOKE, type BenchProfile } from './profiles';
import { renderTargets } from './report';
import { renderCluster, renderIdleNames, scaleTargets } from './scale-report';
import type { Figures } from './scenarios';

/** What `npm run bench -- --json` prints, as far as these tables need. */
interface BenchJson {
  profile?: BenchProfile;
  engineRuns?: Figures[];
}

function main(argv: string[]): void {
  const outputs = argv.filter((arg) => !arg.startsWith('--')).map((file) => JSON.parse(readFileSync(file, 'utf8')) as BenchJson);
  // The profile the runs were taken with (older outputs did not carry it: --smoke tells).
  const profile = outputs.find((output) => output.profile)?.profile ?? (argv.includes('--smoke') ? SMOKE : FULL);
  const runs = outputs.flatMap((output) => output.engineRuns ?? []);
  const tables = [renderIdleNames(runs, profile), renderCluster(runs, profile)].filter((table): table is string => table !== undefined);
  process.stdout.write(`${[...tables, `targets:\n${renderTargets(scaleTargets(runs, profile))}`].join('\n\n')}\n`);
}

main(process.argv.slice(2));
