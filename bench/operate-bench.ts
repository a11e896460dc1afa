// `npm run bench:operate [-- --tasks N] [--drain N] [--runs N] [--smoke]` (issue 12): what the
// operator functions cost with a large backlog, and whether run metrics slow the drain.
//  1. getStats, listTasks and getTask latency with 1,000 and with --tasks (default 1,000,000)
//     pending tasks, and the time to page through all of them 1,000 at a time;
//  2. the drain rate of --drain due tasks (2 node processes) with metrics off and on, alternating,
//     median of --runs each: the cost of metrics, which should stay within 5 %.
// Kept out of `npm test`: filling a million tasks takes a while.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import { encodeCursor } from '../src/engine/cursor';
import { RedisScheduler } from '../src/engine/scheduler';
import type { RedisClient } from '../src/engine/scripts';
import { RedisServerProcess } from '../test/support/redis-server';
import { ENGINE_PREFIX, TASK_NAME, taskInfoOf } from './bench-protocol';
import { killAllNodes, startNodes, stopNodes } from './node-process';
import { FULL, SMOKE, type BenchProfile } from './profiles';
import { connectAdmin, flushAll, type AdminClient } from './redis-admin';
import { drainOn, withProducer, type ScenarioContext } from './scenarios';
import { median, quantile } from './stats';

const QUIET = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
const FAR_FUTURE_MS = 24 * 3_600_000;
const FILL_CHUNK = 10_000;
const OVERDUE = 1_000;
const SAMPLES = 200;
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Latency {
  p50Ms: number;
  p99Ms: number;
}

async function timeCalls(call: () => Promise<unknown>): Promise<Latency> {
  for (let i = 0; i < 20; i++) await call(); // warm-up: scripts cached, code compiled
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const startMs = performance.now();
    await call();
    samples.push(performance.now() - startMs);
  }
  return { p50Ms: quantile(samples, 0.5), p99Ms: quantile(samples, 0.99) };
}

/** `pending` far-future tasks with distinct due times, plus OVERDUE tasks due long ago (no listener). */
async function fill(engine: RedisScheduler, pending: number): Promise<number> {
  const baseMs = Date.now() + FAR_FUTURE_MS;
  const startMs = performance.now();
  for (let i = 0; i < pending; i += FILL_CHUNK) {
    const size = Math.min(FILL_CHUNK, pending - i);
    await engine.addTasks(Array.from({ length: size }, (_, j) => ({ name: TASK_NAME, dueTimeMs: baseMs + i + j, taskInfo: taskInfoOf('pend', i + j) })));
  }
  await engine.addTasks(Array.from({ length: OVERDUE }, (_, j) => ({ name: TASK_NAME, dueTimeMs: 1_000 + j, taskInfo: taskInfoOf('late', j) })));
  return (performance.now() - startMs) / 1000;
}

type ReadFigures = Record<string, Latency | number>;

async function readCosts(client: RedisClient, admin: AdminClient, pending: number): Promise<ReadFigures> {
  await flushAll(admin);
  const engine = new RedisScheduler(client, { keyPrefix: ENGINE_PREFIX, allowUnknownHandlers: true }, QUIET);
  const fillSeconds = await fill(engine, pending);
  log(`  ${pending} pending tasks filled in ${fillSeconds.toFixed(1)} s`);
  const middle = taskInfoOf('pend', Math.floor(pending / 2));
  const dueKey = `{${ENGINE_PREFIX}}:due:${TASK_NAME}`;
  const middleScore = String(await client.sendCommand(['ZSCORE', dueKey, middle]));
  const middleCursor = encodeCursor('scheduled', middleScore, middle);
  // A cursor whose task is gone: the page start is found by binary search among equal scores.
  const goneCursor = encodeCursor('scheduled', middleScore, `${middle}-claimed`);
  const figures: ReadFigures = {
    getStats: await timeCalls(() => engine.getStats()),
    'listTasks first page (100)': await timeCalls(() => engine.listTasks(TASK_NAME, { state: 'scheduled', limit: 100 })),
    'listTasks first page (1,000)': await timeCalls(() => engine.listTasks(TASK_NAME, { state: 'scheduled', limit: 1_000 })),
    'listTasks middle page (100)': await timeCalls(() => engine.listTasks(TASK_NAME, { state: 'scheduled', limit: 100, cursor: middleCursor })),
    'listTasks middle, cursor task gone (100)': await timeCalls(() =>
      engine.listTasks(TASK_NAME, { state: 'scheduled', limit: 100, cursor: goneCursor }),
    ),
    getTask: await timeCalls(() => engine.getTask(TASK_NAME, middle)),
  };
  const startMs = performance.now();
  let seen = 0;
  let cursor: string | undefined;
  do {
    const page = await engine.listTasks(TASK_NAME, { state: 'scheduled', limit: 1_000, cursor });
    seen += page.tasks.length;
    cursor = page.cursor;
  } while (cursor);
  figures['page through all, 1,000 a page (s)'] = (performance.now() - startMs) / 1000;
  if (seen !== pending + OVERDUE) throw new Error(`paging saw ${seen} tasks, expected ${pending + OVERDUE}`);
  return figures;
}

interface DrainFigures {
  rate: number;
  nodeCpuUsPerTask: number;
}

async function drainRuns(redisUrl: string, admin: AdminClient, profile: BenchProfile, tasks: number, runs: number) {
  const results: Record<'off' | 'on', DrainFigures[]> = { off: [], on: [] };
  for (let run = 0; run < runs; run++) {
    for (const mode of run % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      await flushAll(admin);
      const ctx: ScenarioContext = { system: 'engine', redisUrl, admin, profile, log };
      const nodes = await startNodes({ system: 'engine', redisUrl, concurrency: profile.concurrency, metrics: mode === 'on' }, profile.nodesPerScenario);
      try {
        const figures = await withProducer(ctx, (producer) => drainOn(ctx, nodes, producer, `m${mode}`, tasks));
        if (figures.duplicates !== 0 || figures.missing !== 0) throw new Error(`drain with metrics ${mode}: ${figures.duplicates} duplicates, ${figures.missing} missing`);
        results[mode].push({ rate: figures.rate, nodeCpuUsPerTask: figures.nodeCpuUsPerTask });
        log(`  run ${run + 1}/${runs} metrics ${mode}: ${figures.rate.toFixed(0)} tasks/s, ${figures.nodeCpuUsPerTask.toFixed(0)} µs node CPU per task`);
      } finally {
        await stopNodes(nodes);
      }
    }
  }
  const summary = (mode: 'off' | 'on') => ({
    rate: median(results[mode].map((r) => r.rate)),
    nodeCpuUsPerTask: median(results[mode].map((r) => r.nodeCpuUsPerTask)),
  });
  return { off: summary('off'), on: summary('on') };
}

function formatLatency(value: Latency | number): string {
  return typeof value === 'number' ? value.toFixed(2) : `${value.p50Ms.toFixed(2)} / ${value.p99Ms.toFixed(2)}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { tasks: { type: 'string' }, drain: { type: 'string' }, runs: { type: 'string' }, smoke: { type: 'boolean' } },
  });
  const profile = values.smoke ? SMOKE : FULL;
  const pending = Number(values.tasks ?? (values.smoke ? 20_000 : 1_000_000));
  const drainTasks = Number(values.drain ?? profile.drainTasks);
  const runs = Number(values.runs ?? (values.smoke ? 1 : 3));
  for (const [flag, value] of [['--tasks', pending], ['--drain', drainTasks], ['--runs', runs]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${flag} must be a positive integer`);
  }
  const redis = await RedisServerProcess.start(['--maxmemory-policy', 'noeviction']);
  const client = createClient({ url: redis.url }) as RedisClient;
  client.on('error', () => undefined);
  await client.connect();
  const admin = await connectAdmin(redis.url);
  try {
    const sizes = [1_000, pending].filter((size, i, all) => all.indexOf(size) === i);
    const reads: Record<number, ReadFigures> = {};
    for (const size of sizes) {
      log(`read costs with ${size} pending tasks`);
      reads[size] = await readCosts(client, admin, size);
    }
    log(`drain of ${drainTasks} tasks, ${profile.nodesPerScenario} nodes × concurrency ${profile.concurrency}, metrics off vs on, ${runs} run(s) each`);
    const drain = await drainRuns(redis.url, admin, profile, drainTasks, runs);
    const rows = Object.keys(reads[sizes[0]]).map((what) => [what, ...sizes.map((size) => formatLatency(reads[size][what]))]);
    const width = Math.max(...rows.map((row) => row[0].length));
    const slowdown = 1 - drain.on.rate / drain.off.rate;
    const lines = [
      `operator reads, ms p50 / p99 of ${SAMPLES} calls (private redis-server, 1 client); pending tasks: ${sizes.join(' vs ')}`,
      ...rows.map(([what, ...cells]) => `  ${what.padEnd(width)}  ${cells.map((cell) => cell.padStart(14)).join('  ')}`),
      '',
      `drain with run metrics (median of ${runs}): off ${drain.off.rate.toFixed(0)} tasks/s, on ${drain.on.rate.toFixed(0)} tasks/s`,
      `  node CPU per task: off ${drain.off.nodeCpuUsPerTask.toFixed(0)} µs, on ${drain.on.nodeCpuUsPerTask.toFixed(0)} µs`,
      `  metrics ${slowdown > 0 ? 'slow the drain by' : 'cost no drain rate:'} ${(Math.abs(slowdown) * 100).toFixed(1)} % ${slowdown <= 0.05 ? '(target ≤ 5 %: met)' : '(target ≤ 5 %: NOT met)'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (values.tasks === undefined && !values.smoke && slowdown > 0.05) process.exitCode = 1;
  } finally {
    killAllNodes();
    await admin.close();
    await client.close();
    await redis.destroy();
  }
}

main().catch((err: Error) => {
  log(`bench:operate failed: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
