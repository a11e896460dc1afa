// `npm run bench [-- --runs N] [--json] [--smoke] [--only add,drain,...,cluster,idle] [--systems engine,bullmq]
//   [--backlog N] [--concurrency N] [--schedules N] [--buckets 1,12] [--idle-names 0,300,3000]`
// Runs the engine and BullMQ side by side on one private redis-server, with the nodes as forked
// processes, and prints a table of medians with ratios (or JSON). The engine-only scale scenarios
// (cluster: one hot name on a private 3-master cluster; idle: idle handler names) get their own tables.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { RedisServerProcess } from '../test/support/redis-server';
import { SYSTEMS, type BenchSystem } from './bench-protocol';
import { killAllNodes } from './node-process';
import { FULL, SMOKE, type BenchProfile } from './profiles';
import { connectAdmin, redisVersion, type AdminClient } from './redis-admin';
import { buildRows, checkTargets, renderTable, renderTargets, type RunFigures } from './report';
import { clusterScenario } from './cluster-scenario';
import { idleNamesScenario } from './idle-names-scenario';
import { renderCluster, renderIdleNames, scaleTargets } from './scale-report';
import { SCENARIOS, type Figures, type Scenario, type ScenarioContext } from './scenarios';

/** Scenarios of the engine alone (BullMQ has no counterpart: it keeps one queue in one slot). */
const ENGINE_SCENARIOS: ReadonlyArray<[string, Scenario]> = [
  ['idle', idleNamesScenario],
  ['cluster', clusterScenario],
];

interface BenchArgs {
  runs: number;
  json: boolean;
  profile: BenchProfile;
  only?: Set<string>;
  systems: BenchSystem[];
}

function parseArgs(argv: string[]): BenchArgs {
  const valueOf = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const profile = { ...(argv.includes('--smoke') ? SMOKE : FULL) };
  const backlog = valueOf('--backlog');
  if (backlog) profile.backlogTasks = Number(backlog);
  const schedules = valueOf('--schedules');
  if (schedules) profile.recurringSchedules = Number(schedules);
  const concurrency = valueOf('--concurrency');
  if (concurrency) profile.concurrency = Number(concurrency);
  const buckets = valueOf('--buckets');
  if (buckets) profile.clusterBuckets = buckets.split(',').map(Number);
  if (profile.clusterBuckets.some((b) => !Number.isInteger(b) || b < 1)) throw new Error('--buckets must be positive integers, e.g. 1,12');
  const idleNames = valueOf('--idle-names');
  if (idleNames) profile.idleNameCounts = idleNames.split(',').map(Number);
  if (profile.idleNameCounts.some((n) => !Number.isInteger(n) || n < 0)) throw new Error('--idle-names must be integers ≥ 0, e.g. 0,300');
  const only = valueOf('--only');
  const runs = Number(valueOf('--runs') ?? 1);
  if (!Number.isInteger(runs) || runs < 1 || runs > 10) throw new Error('--runs must be an integer from 1 to 10');
  const systems = (valueOf('--systems')?.split(',') ?? SYSTEMS).filter((s): s is BenchSystem => SYSTEMS.includes(s as BenchSystem));
  return { runs, json: argv.includes('--json'), profile, only: only ? new Set(only.split(',')) : undefined, systems };
}

interface BenchHeader {
  cpus: number;
  cpuModel: string;
  node: string;
  redis: string;
  bullmq: string;
  runs: number;
  profile: string;
  nodes: number;
  concurrency: number;
}

function bullmqVersion(): string {
  const path = require.resolve('bullmq').replace(/dist[\\/].*$/, 'package.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

async function header(admin: AdminClient, args: BenchArgs): Promise<BenchHeader> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    node: process.version,
    redis: await redisVersion(admin),
    bullmq: bullmqVersion(),
    runs: args.runs,
    profile: args.profile.name,
    nodes: args.profile.nodesPerScenario,
    concurrency: args.profile.concurrency,
  };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** One run: every selected scenario, engine then BullMQ (BullMQ first on odd runs). */
async function runOnce(args: BenchArgs, redisUrl: string, admin: AdminClient, runIndex: number): Promise<RunFigures> {
  const figures: RunFigures = { engine: {}, bullmq: {} };
  const order = runIndex % 2 === 0 ? args.systems : [...args.systems].reverse();
  for (const [name, scenario] of SCENARIOS) {
    if (args.only && !args.only.has(name)) continue;
    for (const system of order) {
      const ctx: ScenarioContext = { system, redisUrl, admin, profile: args.profile, log };
      const startMs = Date.now();
      Object.assign(figures[system], await scenario(ctx));
      log(`run ${runIndex + 1}/${args.runs} ${name} ${system}: ${((Date.now() - startMs) / 1000).toFixed(1)} s`);
    }
  }
  return figures;
}

/** One run of the selected engine-only scenarios (none when the engine is not among the systems). */
async function runEngineOnce(args: BenchArgs, redisUrl: string, admin: AdminClient, runIndex: number): Promise<Figures> {
  const figures: Figures = {};
  if (!args.systems.includes('engine')) return figures;
  for (const [name, scenario] of ENGINE_SCENARIOS) {
    if (args.only ? !args.only.has(name) : name === 'cluster' && args.profile.name === 'smoke' && !CLUSTER_IN_SMOKE) continue;
    const ctx: ScenarioContext = { system: 'engine', redisUrl, admin, profile: args.profile, log };
    const startMs = Date.now();
    Object.assign(figures, await scenario(ctx));
    log(`run ${runIndex + 1}/${args.runs} ${name} engine: ${((Date.now() - startMs) / 1000).toFixed(1)} s`);
  }
  return figures;
}

/** Whether `--smoke` without --only includes the cluster scenario (it starts six redis-servers). */
const CLUSTER_IN_SMOKE = true;

function printText(head: BenchHeader, rows: ReturnType<typeof buildRows>, engineRuns: Figures[], profile: BenchProfile): void {
  const lines = [
    `redis_scheduler engine vs BullMQ ${head.bullmq} — profile ${head.profile}, median of ${head.runs} run(s), ${head.nodes} nodes × concurrency ${head.concurrency}`,
    `machine: ${head.cpus} × ${head.cpuModel}, node ${head.node}, redis-server ${head.redis} (private, 127.0.0.1)`,
  ];
  if (rows.length > 0) lines.push('', renderTable(rows));
  for (const table of [renderIdleNames(engineRuns, profile), renderCluster(engineRuns, profile)]) if (table) lines.push('', table);
  lines.push('', 'targets:', renderTargets([...checkTargets(rows), ...scaleTargets(engineRuns, profile)]));
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const redis = await RedisServerProcess.start(['--maxmemory-policy', 'noeviction']);
  const cleanup = () => {
    killAllNodes();
    void redis.destroy();
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  let admin: AdminClient | undefined;
  try {
    admin = await connectAdmin(redis.url);
    const head = await header(admin, args);
    const runs: RunFigures[] = [];
    const engineRuns: Figures[] = [];
    for (let i = 0; i < args.runs; i++) {
      runs.push(await runOnce(args, redis.url, admin, i));
      engineRuns.push(await runEngineOnce(args, redis.url, admin, i));
    }
    const rows = buildRows(runs, args.profile.nodeCounts);
    const targets = [...checkTargets(rows), ...scaleTargets(engineRuns, args.profile)];
    // A duplicate or missing run of the engine fails the bench (and CI running the smoke profile).
    const integrityBroken = (key: string, value: number) => /\.(duplicates|missing)$/.test(key) && value !== 0;
    if (rows.some((row) => row.better === 'zero' && row.engine !== 0)) process.exitCode = 1;
    if (engineRuns.some((run) => Object.entries(run).some(([key, value]) => integrityBroken(key, value)))) process.exitCode = 1;
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ header: head, profile: args.profile, rows, targets, runs, engineRuns }, null, 2)}\n`);
    } else {
      printText(head, rows, engineRuns, args.profile);
    }
  } finally {
    killAllNodes();
    if (admin?.isOpen) await admin.close();
    await redis.destroy();
  }
}

main().catch((err: Error) => {
  log(`bench failed: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
