// Prints the fault-injection summary table once every test file has run (a root-level hook, like
// test/exit-code.ts), and writes it to output/faults-summary.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROFILE_NAME } from './support/fault-profile';
import { scenarioRows, summaryTable } from './support/fault-summary';

after(function () {
  if (scenarioRows().length === 0) return;
  const table = summaryTable(PROFILE_NAME);
  console.log(`\n${table}\n`);
  try {
    const folder = join(__dirname, '..', '..', '..', 'output');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `faults-summary-${PROFILE_NAME}.md`), `${table}\n`);
  } catch {
    // the table is printed anyway
  }
});
