// Tables of the engine-only scale scenarios (cluster, idle names): medians over the runs with their
// range, each master's share of the Redis work, and the issue's targets.
import { clusterSetups, setupLabel } from './cluster-scenario';
import type { BenchProfile } from './profiles';
import { fmt, type Target } from './report';
import type { Figures } from './scenarios';
import { median } from './stats';

/** Most a master may take of the Redis work, as a multiple of its fair share. */
const FAIR_SHARE_LIMIT = 1.5;
/** Most the drain beside 300 idle names may take, as a multiple of the drain beside none. */
const IDLE_SLOWDOWN_LIMIT = 1.2;

const valuesOf = (runs: Figures[], key: string) => runs.map((run) => run[key]).filter((v): v is number => v !== undefined);
const med = (runs: Figures[], key: string) => median(valuesOf(runs, key));
const worst = (runs: Figures[], key: string) => Math.max(...valuesOf(runs, key));
const has = (runs: Figures[], key: string) => valuesOf(runs, key).length > 0;

/** "median" with "(min–max)" when the runs differ. */
function withRange(runs: Figures[], key: string): string {
  const values = valuesOf(runs, key);
  if (values.length === 0) return '–';
  const low = Math.min(...values);
  const high = Math.max(...values);
  return values.length > 1 && low !== high ? `${fmt(median(values))} (${fmt(low)}–${fmt(high)})` : fmt(median(values));
}

function percent(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 100)) : '–';
}

/** Median share of each master, "34/33/33 %". */
function sharesCell(runs: Figures[], prefix: string): string {
  const masters = med(runs, `${prefix.split('.drain.')[0]}.drain.masters`);
  return `${Array.from({ length: masters }, (_, i) => percent(med(runs, `${prefix}.m${i}`))).join('/')} %`;
}

function padTable(lines: string[][]): string {
  const widths = lines[0].map((_, col) => Math.max(...lines.map((line) => line[col].length)));
  return lines.map((line) => line.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  ')).join('\n');
}

function table(header: string[], rows: string[][]): string {
  return padTable([header, header.map((h) => '-'.repeat(h.length)), ...rows]);
}

export function renderCluster(runs: Figures[], profile: BenchProfile): string | undefined {
  const setups = clusterSetups(profile.clusterBuckets).filter((setup) => has(runs, `cluster.${setup.key}.drain.rate`));
  if (setups.length === 0) return undefined;
  const drainRows = setups.map((setup) => {
    const k = `cluster.${setup.key}`;
    return [
      setupLabel(setup),
      withRange(runs, `${k}.drain.rate`),
      fmt(med(runs, `${k}.drain.commandsPerTask`)),
      fmt(med(runs, `${k}.drain.scriptsPerTask`)),
      fmt(med(runs, `${k}.drain.redisCpuUsPerTask`)),
      sharesCell(runs, `${k}.drain.cpuShare`),
      fmt(med(runs, `${k}.drain.cpuShare.maxOverFair`)),
      sharesCell(runs, `${k}.drain.commandShare`),
      fmt(med(runs, `${k}.drain.commandShare.maxOverFair`)),
      sharesCell(runs, `${k}.drain.scriptUsShare`),
    ];
  });
  const spreadRows = setups.map((setup) => {
    const k = `cluster.${setup.key}`;
    return [
      setupLabel(setup),
      withRange(runs, `${k}.spread.latenessP50Ms`),
      withRange(runs, `${k}.spread.latenessP99Ms`),
      fmt(med(runs, `${k}.spread.latenessMaxMs`)),
      String(Math.max(worst(runs, `${k}.drain.duplicates`), worst(runs, `${k}.spread.duplicates`))),
      String(Math.max(worst(runs, `${k}.drain.missing`), worst(runs, `${k}.spread.missing`))),
    ];
  });
  return [
    `cluster: one hot name — drain of ${fmt(profile.clusterDrainTasks)} tasks due at once, then ${fmt(profile.clusterSpreadTasks)} due over ${fmt(profile.spreadOverMs)} ms; ${profile.nodesPerScenario} nodes × concurrency ${profile.concurrency}; median (min–max) of ${runs.length} run(s)`,
    table(
      ['setup', 'drain tasks/s', 'cmds/task', 'scripts/task', 'redis CPU µs/task', 'CPU share per master', 'max/fair', 'command share per master', 'max/fair', 'script µs share'],
      drainRows,
    ),
    '(shares: each master\'s part of the work during the drain, from INFO deltas — CPU: used_cpu_user+sys; commands: total_commands_processed (commands inside Lua included) without INFO/REPLCONF/PING; script µs: commandstats usec of EVALSHA+EVAL. max/fair: the busiest master\'s share × number of masters.)',
    '',
    table(['setup', 'spread lateness p50 (ms)', 'p99 (ms)', 'max (ms)', 'duplicates', 'missing'], spreadRows),
    '(duplicates and missing: the worst run, drain and spread together, counted by task id from the handler runs each node reports.)',
  ].join('\n');
}

export function renderIdleNames(runs: Figures[], profile: BenchProfile): string | undefined {
  const counts = profile.idleNameCounts.filter((count) => has(runs, `idle.${count}.drainMs`));
  if (counts.length === 0) return undefined;
  const baseMs = med(runs, `idle.${counts[0]}.drainMs`);
  const rows = counts.map((count) => {
    const k = `idle.${count}`;
    return [
      fmt(count),
      withRange(runs, `${k}.drainMs`),
      `${(med(runs, `${k}.drainMs`) / baseMs).toFixed(2)}×`,
      withRange(runs, `${k}.commands`),
      withRange(runs, `${k}.scripts`),
      fmt(med(runs, `${k}.redisCpuMs`)),
      has(runs, `${k}.idleScriptsPerSecond`) ? fmt(med(runs, `${k}.idleScriptsPerSecond`)) : '–',
      String(worst(runs, `${k}.duplicates`)),
      String(worst(runs, `${k}.missing`)),
    ];
  });
  return [
    `idle names: drain of ${fmt(profile.idleTasks)} due tasks of one name beside N handler names with no task (standalone); ${profile.nodesPerScenario} nodes × concurrency ${profile.concurrency}; median (min–max) of ${runs.length} run(s)`,
    table(['idle names', 'drain ms', `vs ${counts[0]}`, 'commands', 'EVALSHA+EVAL', 'redis CPU ms', 'idle EVALSHA/s', 'duplicates', 'missing'], rows),
    `(drain ms: due time to the last handler run; commands and EVALSHA: INFO deltas over the drain; idle EVALSHA/s: over ${fmt(profile.idleWindowMs)} ms with nothing due, safety polls included.)`,
  ].join('\n');
}

export function scaleTargets(runs: Figures[], profile: BenchProfile): Target[] {
  const targets: Target[] = [];
  const keys = new Set(runs.flatMap((run) => Object.keys(run)));
  const nonZero = [...keys].filter((key) => /\.(duplicates|missing)$/.test(key) && worst(runs, key) !== 0);
  if (keys.size > 0) {
    targets.push({ name: 'scale scenarios: duplicates 0 and missing 0', met: nonZero.length === 0, detail: nonZero.map((key) => `${key}=${worst(runs, key)}`).join(', ') || 'all 0' });
  }
  // buckets=1 is the reference (one master does it all), not a target.
  for (const setup of clusterSetups(profile.clusterBuckets).filter((s) => s.topology === 'cluster' && s.buckets !== 1)) {
    const k = `cluster.${setup.key}.drain`;
    if (!has(runs, `${k}.rate`)) continue;
    const cpu = med(runs, `${k}.cpuShare.maxOverFair`);
    const commands = med(runs, `${k}.commandShare.maxOverFair`);
    targets.push({
      name: `${setupLabel(setup)}: no master above ${FAIR_SHARE_LIMIT}× its fair share`,
      met: cpu <= FAIR_SHARE_LIMIT && commands <= FAIR_SHARE_LIMIT,
      detail: `CPU ${fmt(cpu)}×, commands ${fmt(commands)}×`,
    });
  }
  const idle0 = med(runs, 'idle.0.drainMs');
  const idle300 = med(runs, 'idle.300.drainMs');
  if (Number.isFinite(idle0) && Number.isFinite(idle300)) {
    const slowdown = idle300 / idle0;
    targets.push({ name: `drain beside 300 idle names within ${IDLE_SLOWDOWN_LIMIT}× of none`, met: slowdown <= IDLE_SLOWDOWN_LIMIT, detail: `${fmt(idle300)} vs ${fmt(idle0)} ms (${slowdown.toFixed(2)}×)` });
  }
  return targets;
}
