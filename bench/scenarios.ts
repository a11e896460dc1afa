// The scenarios: each runs one system on a flushed private Redis and returns its figures by metric key.
import { performance } from 'node:perf_hooks';
import { TASK_NAME, taskInfoOf, type BenchNodeSpec, type BenchSystem } from './bench-protocol';
import { startNodes, stopNodes, type NodeProcess } from './node-process';
import { createProducer, type BenchTask, type Producer } from './producers';
import type { BenchProfile } from './profiles';
import { clientCommands, flushAll, redisCpuMicros, resetStats, usedMemoryBytes, type AdminClient } from './redis-admin';
import { countRuns, maxOf, quantile } from './stats';
import { recurringScenario } from './recurring-scenario';

export type Figures = Record<string, number>;

export interface ScenarioContext {
  system: BenchSystem;
  redisUrl: string;
  admin: AdminClient;
  profile: BenchProfile;
  log: (line: string) => void;
}

export type Scenario = (ctx: ScenarioContext) => Promise<Figures>;

const FAR_FUTURE_MS = 24 * 3_600_000;
// How often the driver asks the nodes for their run counts (IPC); slow enough not to disturb them.
const POLL_MS = 100;

/** `count` tasks tagged `tag` with ids firstId.., task i due at dueOf(i). */
export function makeTasks(tag: string, count: number, dueOf: (i: number) => number, firstId = 0): BenchTask[] {
  return Array.from({ length: count }, (_, i) => ({ name: TASK_NAME, taskInfo: taskInfoOf(tag, firstId + i), dueTimeMs: dueOf(firstId + i) }));
}

/** A producer of ctx.system on ctx.redisUrl, or the one `create` makes (an engine producer on a cluster). */
export async function withProducer<T>(
  ctx: ScenarioContext,
  use: (producer: Producer) => Promise<T>,
  create: () => Promise<Producer> = () => createProducer(ctx.system, ctx.redisUrl),
): Promise<T> {
  const producer = await create();
  try {
    return await use(producer);
  } finally {
    await producer.close();
  }
}

/** `count` nodes of ctx.system on ctx.redisUrl; `extra` adds to their spec (cluster URLs, buckets, idle names). */
export async function withNodes<T>(
  ctx: ScenarioContext,
  count: number,
  use: (nodes: NodeProcess[]) => Promise<T>,
  extra: Partial<BenchNodeSpec> = {},
): Promise<T> {
  const nodes = await startNodes({ system: ctx.system, redisUrl: ctx.redisUrl, concurrency: ctx.profile.concurrency, ...extra }, count);
  try {
    return await use(nodes);
  } finally {
    await stopNodes(nodes);
  }
}

/** Per second, given a count and a duration in ms. */
export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : NaN;
}

/** Waits until the nodes together ran `expected` tasks (or the deadline), then a settle time. */
export async function waitForRuns(nodes: NodeProcess[], expected: number, deadlineMs: number, settleMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    const counts = await Promise.all(nodes.map((node) => node.count()));
    if (counts.reduce((a, b) => a + b, 0) >= expected) break;
    await sleep(POLL_MS);
  }
  await sleep(settleMs);
}

export interface CollectedRuns {
  taskIds: number[];
  latenessMs: number[];
  lastRunAtMs: number;
  cpuMicros: number;
}

export async function collectRuns(nodes: NodeProcess[]): Promise<CollectedRuns> {
  const reports = await Promise.all(nodes.map((node) => node.report()));
  return {
    taskIds: reports.flatMap((report) => report.taskIds),
    latenessMs: reports.flatMap((report) => report.latenessMs),
    lastRunAtMs: Math.max(0, ...reports.map((report) => report.lastRunAtMs)),
    cpuMicros: reports.reduce((sum, report) => sum + report.cpuMicros, 0),
  };
}

/** Adds `tasks` in one batch and warns when adding took longer than the lead before the first due time. */
export async function addBeforeDue(ctx: ScenarioContext, producer: Producer, tasks: BenchTask[], firstDueMs: number): Promise<void> {
  await producer.addMany(tasks);
  const lateMs = Date.now() - firstDueMs;
  if (lateMs > 0) ctx.log(`  warning: ${ctx.system} finished adding ${lateMs} ms after the first due time`);
}

/** `count` tasks due at one moment, run by `nodes`: throughput from the due moment to the last run. */
export async function drainOn(ctx: ScenarioContext, nodes: NodeProcess[], producer: Producer, tag: string, count: number): Promise<Figures> {
  const dueTimeMs = Date.now() + ctx.profile.leadMs;
  await addBeforeDue(ctx, producer, makeTasks(tag, count, () => dueTimeMs), dueTimeMs);
  // Start the counts afresh: commands, CPU of redis-server and of the nodes.
  await resetStats(ctx.admin);
  await collectRuns(nodes);
  const redisCpuBefore = await redisCpuMicros(ctx.admin);
  await waitForRuns(nodes, count, dueTimeMs + ctx.profile.runTimeoutMs, ctx.profile.settleMs);
  const runs = await collectRuns(nodes);
  const redisCpu = (await redisCpuMicros(ctx.admin)) - redisCpuBefore;
  const commands = await clientCommands(ctx.admin);
  const { duplicates, missing } = countRuns(runs.taskIds, count);
  return {
    rate: perSecond(count - missing, runs.lastRunAtMs - dueTimeMs),
    duplicates,
    missing,
    commandsPerTask: commands.total / count,
    scriptsPerTask: commands.scripts / count,
    nodeCpuUsPerTask: runs.cpuMicros / count,
    redisCpuUsPerTask: redisCpu / count,
  };
}

/** `count` tasks due evenly over spreadOverMs: lateness of each run (Date.now() at start minus due time). */
async function spreadOn(ctx: ScenarioContext, nodes: NodeProcess[], producer: Producer, tag: string, count: number): Promise<Figures> {
  const firstDueMs = Date.now() + ctx.profile.leadMs;
  const stepMs = ctx.profile.spreadOverMs / count;
  await addBeforeDue(ctx, producer, makeTasks(tag, count, (i) => firstDueMs + Math.floor(i * stepMs)), firstDueMs);
  const deadlineMs = firstDueMs + ctx.profile.spreadOverMs + ctx.profile.runTimeoutMs;
  await waitForRuns(nodes, count, deadlineMs, ctx.profile.settleMs);
  const runs = await collectRuns(nodes);
  const { duplicates, missing } = countRuns(runs.taskIds, count);
  return {
    latenessP50Ms: quantile(runs.latenessMs, 0.5),
    latenessP99Ms: quantile(runs.latenessMs, 0.99),
    latenessMaxMs: maxOf(runs.latenessMs),
    duplicates,
    missing,
  };
}

/** Runs `count` adds through `add`, at most `inFlight` at once; returns adds per second. */
async function timedAdds(count: number, inFlight: number, add: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const startMs = performance.now();
  const lane = async () => {
    while (next < count) await add(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return perSecond(count, performance.now() - startMs);
}

function prefixed(prefix: string, figures: Figures): Figures {
  return Object.fromEntries(Object.entries(figures).map(([key, value]) => [`${prefix}.${key}`, value]));
}

export const addScenario: Scenario = async (ctx) => {
  const { singleAdds, addsInFlight, batchAdds } = ctx.profile;
  await flushAll(ctx.admin);
  const dueTimeMs = Date.now() + FAR_FUTURE_MS;
  const single = makeTasks('sing', singleAdds, () => dueTimeMs);
  const singleRate = await withProducer(ctx, (producer) => timedAdds(singleAdds, addsInFlight, (i) => producer.addOne(single[i])));
  const batchRate = await withProducer(ctx, async (producer) => {
    // A warm-up batch a tenth the size (flushed after), so both systems are measured with their code compiled.
    await producer.addMany(makeTasks('warm', Math.ceil(batchAdds / 10), (i) => dueTimeMs + i));
    await flushAll(ctx.admin);
    const batch = makeTasks('batc', batchAdds, (i) => dueTimeMs + i);
    const startMs = performance.now();
    await producer.addMany(batch);
    return perSecond(batchAdds, performance.now() - startMs);
  });
  return { 'add.single': singleRate, 'add.batch': batchRate };
};

export const memoryScenario: Scenario = async (ctx) => {
  await flushAll(ctx.admin);
  return withProducer(ctx, async (producer) => {
    // One task first, so the keys and per-queue structures exist before the baseline.
    await producer.addMany(makeTasks('warm', 1, () => Date.now() + FAR_FUTURE_MS));
    const beforeBytes = await usedMemoryBytes(ctx.admin);
    const count = ctx.profile.memoryTasks;
    const baseMs = Date.now() + FAR_FUTURE_MS;
    for (let i = 0; i < count; i += ctx.profile.fillChunk) {
      const size = Math.min(ctx.profile.fillChunk, count - i);
      await producer.addMany(makeTasks('memo', size, (id) => baseMs + id, i));
    }
    const afterBytes = await usedMemoryBytes(ctx.admin);
    return { 'memory.bytesPerTask': (afterBytes - beforeBytes) / count };
  });
};

export const drainScenario: Scenario = async (ctx) => {
  await flushAll(ctx.admin);
  const figures = await withProducer(ctx, (producer) =>
    withNodes(ctx, ctx.profile.nodesPerScenario, (nodes) => drainOn(ctx, nodes, producer, 'drai', ctx.profile.drainTasks)),
  );
  return prefixed('drain', figures);
};

export const spreadScenario: Scenario = async (ctx) => {
  await flushAll(ctx.admin);
  const figures = await withProducer(ctx, (producer) =>
    withNodes(ctx, ctx.profile.nodesPerScenario, (nodes) => spreadOn(ctx, nodes, producer, 'sprd', ctx.profile.spreadTasks)),
  );
  return prefixed('spread', figures);
};

/** Fills the backlog with far-future tasks, one addMany per chunk; returns the seconds it took. */
async function fillBacklog(ctx: ScenarioContext, producer: Producer): Promise<number> {
  const { backlogTasks, fillChunk } = ctx.profile;
  const baseMs = Date.now() + FAR_FUTURE_MS;
  const startMs = performance.now();
  for (let i = 0; i < backlogTasks; i += fillChunk) {
    const size = Math.min(fillChunk, backlogTasks - i);
    await producer.addMany(makeTasks('bklg', size, (id) => baseMs + id, i));
  }
  return (performance.now() - startMs) / 1000;
}

export const backlogScenario: Scenario = async (ctx) => {
  await flushAll(ctx.admin);
  return withProducer(ctx, async (producer) => {
    const fillSeconds = await fillBacklog(ctx, producer);
    ctx.log(`  ${ctx.system}: ${ctx.profile.backlogTasks} pending tasks filled in ${fillSeconds.toFixed(1)} s`);
    return withNodes(ctx, ctx.profile.nodesPerScenario, async (nodes) => {
      const spread = await spreadOn(ctx, nodes, producer, 'bspr', ctx.profile.spreadTasks);
      const drain = await drainOn(ctx, nodes, producer, 'bdrn', ctx.profile.drainTasks);
      return { 'backlog.fillSeconds': fillSeconds, ...prefixed('backlog.spread', spread), ...prefixed('backlog.drain', drain) };
    });
  });
};

export const nodesScenario: Scenario = async (ctx) => {
  const figures: Figures = {};
  for (const count of ctx.profile.nodeCounts) {
    await flushAll(ctx.admin);
    const drain = await withProducer(ctx, (producer) =>
      withNodes(ctx, count, (nodes) => drainOn(ctx, nodes, producer, 'node', ctx.profile.drainTasks)),
    );
    figures[`nodes.${count}.rate`] = drain.rate;
    figures[`nodes.${count}.duplicates`] = drain.duplicates;
    figures[`nodes.${count}.missing`] = drain.missing;
  }
  return figures;
};

export const SCENARIOS: ReadonlyArray<[string, Scenario]> = [
  ['add', addScenario],
  ['memory', memoryScenario],
  ['drain', drainScenario],
  ['spread', spreadScenario],
  ['nodes', nodesScenario],
  ['backlog', backlogScenario],
  ['recurring', recurringScenario],
];

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
