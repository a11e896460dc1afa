// The rows of the summary table every fault scenario adds to; summary.test.ts prints it after the run.

/** One line of the summary table. */
export interface ScenarioRow {
  scenario: string;
  tasks: number;
  ran: number;
  duplicates: number;
  lost: number;
  dead: number;
  /** Worst time from a fault to the moment the affected work ran again (ms); undefined when not measured. */
  worstRecoveryMs?: number;
  /** Whether the scenario's assertions held. */
  passed?: boolean;
  note?: string;
}

const rows: ScenarioRow[] = [];

/** Adds (or replaces, by scenario name) a row. */
export function recordScenario(row: ScenarioRow): void {
  const index = rows.findIndex((r) => r.scenario === row.scenario);
  if (index >= 0) rows[index] = row;
  else rows.push(row);
}

/** Marks a recorded row as passed or failed (called from afterEach). */
export function markScenario(scenario: string, passed: boolean): void {
  const row = rows.find((r) => r.scenario === scenario);
  if (row) row.passed = passed;
}

export function scenarioRows(): readonly ScenarioRow[] {
  return rows;
}

function formatRecovery(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`;
}

/** The table as markdown. */
export function summaryTable(profile: string): string {
  const header = ['scenario', 'tasks', 'ran', 'duplicates', 'lost', 'dead', 'worst recovery', 'result', 'note'];
  const sorted = [...rows].sort((a, b) => a.scenario.localeCompare(b.scenario, 'en', { numeric: true }));
  const lines = sorted.map((r) => [
    r.scenario,
    String(r.tasks),
    String(r.ran),
    String(r.duplicates),
    String(r.lost),
    String(r.dead),
    formatRecovery(r.worstRecoveryMs),
    r.passed === undefined ? '?' : r.passed ? 'pass' : 'FAIL',
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    `Fault-injection summary (profile: ${profile})`,
    format(header),
    format(widths.map((w) => '-'.repeat(w))),
    ...lines.map(format),
  ].join('\n');
}
