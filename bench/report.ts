// Turns the figures of every run into medians, ratios, target checks, a text table and JSON.
import type { BenchSystem } from './bench-protocol';
import type { Figures } from './scenarios';
import { median } from './stats';

/** Which way a metric is better; 'zero' metrics (duplicates, missing) must be 0, 'info' ones are not compared. */
type Better = 'higher' | 'lower' | 'zero' | 'info';

interface MetricDef {
  key: string;
  scenario: string;
  label: string;
  better: Better;
}

function metric(key: string, scenario: string, label: string, better: Better): MetricDef {
  return { key, scenario, label, better };
}

function integrity(prefix: string, scenario: string, what = ''): MetricDef[] {
  return [metric(`${prefix}.duplicates`, scenario, `${what}duplicates`, 'zero'), metric(`${prefix}.missing`, scenario, `${what}missing`, 'zero')];
}

function lateness(prefix: string, scenario: string, what = ''): MetricDef[] {
  return [
    metric(`${prefix}.latenessP50Ms`, scenario, `${what}lateness p50 (ms)`, 'lower'),
    metric(`${prefix}.latenessP99Ms`, scenario, `${what}lateness p99 (ms)`, 'lower'),
    metric(`${prefix}.latenessMaxMs`, scenario, `${what}lateness max (ms)`, 'lower'),
  ];
}

export const METRICS: MetricDef[] = [
  metric('add.single', 'add', 'single adds/s (64 in flight)', 'higher'),
  metric('add.batch', 'add', 'batch adds/s (addTasks / addBulk)', 'higher'),
  metric('drain.rate', 'drain', 'tasks/s', 'higher'),
  metric('drain.commandsPerTask', 'drain', 'Redis commands per task (incl. inside Lua)', 'lower'),
  metric('drain.scriptsPerTask', 'drain', 'Lua script calls per task', 'lower'),
  metric('drain.nodeCpuUsPerTask', 'drain', 'node CPU µs per task (all nodes)', 'lower'),
  metric('drain.redisCpuUsPerTask', 'drain', 'redis-server CPU µs per task', 'lower'),
  ...integrity('drain', 'drain'),
  ...lateness('spread', 'spread'),
  ...integrity('spread', 'spread'),
  metric('backlog.fillSeconds', 'backlog', 'fill time (s)', 'info'),
  metric('backlog.drain.rate', 'backlog', 'drain tasks/s', 'higher'),
  ...integrity('backlog.drain', 'backlog', 'drain '),
  ...lateness('backlog.spread', 'backlog', 'spread '),
  ...integrity('backlog.spread', 'backlog', 'spread '),
  metric('memory.bytesPerTask', 'memory', 'used_memory bytes per pending task', 'lower'),
  metric('recurring.registerSeconds', 'recurring', 'time to register the schedules (s)', 'info'),
  ...lateness('recurring', 'recurring', 'tick '),
  metric('recurring.duplicates', 'recurring', 'ticks run twice', 'zero'),
  metric('recurring.missedTicks', 'recurring', 'ticks not run (coalesced or lost)', 'lower'),
];

/** Node-count rows exist for whichever counts the profile ran. */
function nodeMetrics(counts: number[]): MetricDef[] {
  return counts.flatMap((count) => [
    metric(`nodes.${count}.rate`, 'nodes', `drain tasks/s, ${count} node${count > 1 ? 's' : ''}`, 'higher'),
    metric(`nodes.${count}.duplicates`, 'nodes', `duplicates, ${count} node${count > 1 ? 's' : ''}`, 'zero'),
    metric(`nodes.${count}.missing`, 'nodes', `missing, ${count} node${count > 1 ? 's' : ''}`, 'zero'),
  ]);
}

/** Lateness below Date.now()'s 1 ms resolution counts as 1 ms in ratios. */
const LATENESS_FLOOR_MS = 1;

export type RunFigures = Record<BenchSystem, Figures>;

export interface Row {
  key: string;
  scenario: string;
  label: string;
  better: Better;
  engine: number;
  bullmq: number;
  /** How many times better the engine is (>1: better), NaN when not compared. */
  ratio: number;
}

export interface Target {
  name: string;
  met: boolean;
  detail: string;
}

function ratioOf(def: MetricDef, engine: number, bullmq: number): number {
  if (def.better === 'higher') return engine / bullmq;
  if (def.better !== 'lower') return NaN;
  const floor = def.key.includes('latency') || def.key.includes('lateness') ? LATENESS_FLOOR_MS : 0;
  return Math.max(bullmq, floor) / Math.max(engine, floor);
}

export function buildRows(runs: RunFigures[], nodeCounts: number[]): Row[] {
  const defs = [...METRICS, ...nodeMetrics(nodeCounts)];
  const valuesOf = (system: BenchSystem, key: string) => runs.map((run) => run[system][key]).filter((v) => v !== undefined);
  return defs
    .filter((def) => runs.some((run) => run.engine[def.key] !== undefined || run.bullmq[def.key] !== undefined))
    .map((def) => {
      const zero = def.better === 'zero';
      // Duplicates and missing: the worst run, not the median.
      const pick = (values: number[]) => (zero ? Math.max(...values) : median(values));
      const engine = pick(valuesOf('engine', def.key));
      const bullmq = pick(valuesOf('bullmq', def.key));
      return { ...def, engine, bullmq, ratio: ratioOf(def, engine, bullmq) };
    });
}

export function checkTargets(rows: Row[]): Target[] {
  const row = (key: string) => rows.find((r) => r.key === key);
  const targets: Target[] = [];
  const add = (name: string, met: boolean | undefined, detail: string) => {
    if (met !== undefined) targets.push({ name, met, detail });
  };
  const bad = rows.filter((r) => r.better === 'zero' && r.engine !== 0);
  add('engine: duplicates 0 and missing 0 everywhere', bad.length === 0, bad.map((r) => `${r.key}=${r.engine}`).join(', ') || 'all 0');
  const ratio = (key: string, min: number, what: string) => {
    const r = row(key);
    if (r) add(`${what} ≥ ${min}× BullMQ`, r.ratio >= min, `${fmtRatio(r.ratio)}`);
  };
  const limit = (key: string, max: number, what: string) => {
    const r = row(key);
    if (r) add(`${what} ≤ ${max}`, r.engine <= max, fmt(r.engine));
  };
  ratio('drain.rate', 10, 'drain');
  limit('spread.latenessP50Ms', 1, 'spread lateness p50 (ms)');
  limit('spread.latenessP99Ms', 5, 'spread lateness p99 (ms)');
  ratio('spread.latenessP99Ms', 15, 'spread lateness p99');
  ratio('add.single', 1.5, 'single adds');
  const batch = row('add.batch');
  if (batch) add('batch add ≥ 200,000 tasks/s', batch.engine >= 200_000, fmt(batch.engine));
  limit('memory.bytesPerTask', 150, 'memory bytes per pending task');
  const drain = row('drain.rate');
  const backlogDrain = row('backlog.drain.rate');
  if (drain && backlogDrain) {
    const slowdown = drain.engine / backlogDrain.engine;
    add('backlog drain within 1.2× of empty', slowdown <= 1.2, `${slowdown.toFixed(2)}× slower`);
  }
  const p99 = row('spread.latenessP99Ms');
  const backlogP99 = row('backlog.spread.latenessP99Ms');
  if (p99 && backlogP99) {
    const growth = Math.max(backlogP99.engine, LATENESS_FLOOR_MS) / Math.max(p99.engine, LATENESS_FLOOR_MS);
    add('backlog lateness p99 within 1.2× of empty', growth <= 1.2, `${fmt(backlogP99.engine)} vs ${fmt(p99.engine)} ms (${growth.toFixed(2)}×)`);
  }
  return targets;
}

export function fmt(value: number): string {
  if (!Number.isFinite(value)) return value === Infinity ? '∞' : '–';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Number.isInteger(value)) return String(value);
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function fmtRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}×` : '';
}

function padTable(lines: string[][]): string {
  const widths = lines[0].map((_, col) => Math.max(...lines.map((line) => line[col].length)));
  return lines
    .map((line) => line.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  '))
    .join('\n');
}

export function renderTable(rows: Row[]): string {
  const header = ['scenario', 'metric', 'engine', 'BullMQ', 'engine vs BullMQ'];
  const lines = rows.map((r) => [r.scenario, r.label, fmt(r.engine), fmt(r.bullmq), fmtRatio(r.ratio)]);
  const table = padTable([header, header.map((h) => '-'.repeat(h.length)), ...lines]);
  return `${table}\n(ratio: how many times better the engine is — higher throughput, or lower lateness/memory/commands; lateness floored at 1 ms, Date.now() resolution)`;
}

export function renderTargets(targets: Target[]): string {
  return targets.map((t) => `${t.met ? '[met]    ' : '[MISSED] '} ${t.name}: ${t.detail}`).join('\n');
}
