// One hot name on a real local 3-master cluster, next to the same on the standalone server: drain
// rate, spread lateness, duplicates and missing by task id, and each master's share of Redis CPU and
// commands during the drain (INFO deltas). Engine only: BullMQ keeps a queue in one slot.
import { RedisClusterProcess } from '../test/support/redis-cluster';
import { BUCKETS_SUPPORTED, defaultBuckets, type BenchTarget } from './bench-target';
import type { NodeProcess } from './node-process';
import { createEngineProducer, type Producer } from './producers';
import { connectAdmin, countersDelta, flushAll, serverCounters, type AdminClient, type ServerCounters } from './redis-admin';
import {
  addBeforeDue,
  collectRuns,
  makeTasks,
  perSecond,
  waitForRuns,
  withNodes,
  withProducer,
  type Figures,
  type ScenarioContext,
} from './scenarios';
import { countRuns, maxOf, quantile } from './stats';

/** One column of the comparison: where the nodes run, with which bucket count (undefined: the engine's default). */
export interface ClusterSetup {
  key: string;
  topology: BenchTarget['topology'];
  buckets?: number;
}

export function clusterSetups(bucketCounts: number[]): ClusterSetup[] {
  return [
    { key: 'standalone', topology: 'standalone' },
    ...bucketCounts.map((buckets): ClusterSetup => ({ key: `cluster-b${buckets}`, topology: 'cluster', buckets })),
    { key: 'cluster-default', topology: 'cluster' },
  ];
}

/** How a setup reads in the table, saying when the engine has no bucket option to pass. */
export function setupLabel(setup: ClusterSetup): string {
  const where = setup.topology === 'cluster' ? 'cluster (3 masters)' : 'standalone';
  // An engine without the option runs every setup with its one layout; the label keeps the asked count.
  if (!BUCKETS_SUPPORTED) return setup.buckets === undefined ? where : `${where}, buckets=${setup.buckets} not passed (no such option)`;
  return `${where}, buckets=${setup.buckets ?? `${defaultBuckets()} (default)`}`;
}

/** The servers a setup measures: one admin connection per master, in slot order. */
interface Masters {
  target: BenchTarget;
  admins: AdminClient[];
}

async function clusterMasters(cluster: RedisClusterProcess): Promise<Masters> {
  const masters = (await cluster.topology())
    .filter((node) => node.role === 'master' && node.slots.length > 0)
    .sort((a, b) => a.slots[0][0] - b.slots[0][0]);
  const urls = masters.map((master) => `redis://127.0.0.1:${master.port}`);
  return { target: { topology: 'cluster', urls: cluster.urls }, admins: await Promise.all(urls.map(connectAdmin)) };
}

const readAll = (masters: Masters) => Promise.all(masters.admins.map(serverCounters));

/** Each master's share of a counter, and the largest share over the fair one (1 / masters). */
function shares(prefix: string, values: number[]): Figures {
  const total = values.reduce((a, b) => a + b, 0);
  const figures: Figures = {};
  values.forEach((value, i) => (figures[`${prefix}.m${i}`] = total > 0 ? value / total : NaN));
  figures[`${prefix}.maxOverFair`] = total > 0 ? (Math.max(...values) / total) * values.length : NaN;
  return figures;
}

/** `count` tasks due at one moment: rate, integrity, and the masters' work during the drain. */
async function drainOnMasters(ctx: ScenarioContext, masters: Masters, nodes: NodeProcess[], producer: Producer, count: number): Promise<Figures> {
  const dueTimeMs = Date.now() + ctx.profile.leadMs;
  await addBeforeDue(ctx, producer, makeTasks('cldr', count, () => dueTimeMs), dueTimeMs);
  await collectRuns(nodes);
  const before = await readAll(masters);
  await waitForRuns(nodes, count, dueTimeMs + ctx.profile.runTimeoutMs, ctx.profile.settleMs);
  const runs = await collectRuns(nodes);
  const work = (await readAll(masters)).map((after, i) => countersDelta(before[i], after));
  const { duplicates, missing } = countRuns(runs.taskIds, count);
  const sum = (field: keyof ServerCounters) => work.reduce((total, w) => total + w[field], 0);
  return {
    'drain.rate': perSecond(count - missing, runs.lastRunAtMs - dueTimeMs),
    'drain.duplicates': duplicates,
    'drain.missing': missing,
    'drain.commandsPerTask': sum('commands') / count,
    'drain.scriptsPerTask': sum('scripts') / count,
    'drain.redisCpuUsPerTask': sum('cpuMicros') / count,
    'drain.masters': work.length,
    ...shares('drain.cpuShare', work.map((w) => w.cpuMicros)),
    ...shares('drain.commandShare', work.map((w) => w.commands)),
    ...shares('drain.scriptUsShare', work.map((w) => w.scriptMicros)),
  };
}

/** `count` tasks due evenly over spreadOverMs: lateness and integrity. */
async function spreadOnTarget(ctx: ScenarioContext, nodes: NodeProcess[], producer: Producer, count: number): Promise<Figures> {
  const firstDueMs = Date.now() + ctx.profile.leadMs;
  const stepMs = ctx.profile.spreadOverMs / count;
  await addBeforeDue(ctx, producer, makeTasks('clsp', count, (i) => firstDueMs + Math.floor(i * stepMs)), firstDueMs);
  await waitForRuns(nodes, count, firstDueMs + ctx.profile.spreadOverMs + ctx.profile.runTimeoutMs, ctx.profile.settleMs);
  const runs = await collectRuns(nodes);
  const { duplicates, missing } = countRuns(runs.taskIds, count);
  return {
    'spread.latenessP50Ms': quantile(runs.latenessMs, 0.5),
    'spread.latenessP99Ms': quantile(runs.latenessMs, 0.99),
    'spread.latenessMaxMs': maxOf(runs.latenessMs),
    'spread.duplicates': duplicates,
    'spread.missing': missing,
  };
}

async function runSetup(ctx: ScenarioContext, setup: ClusterSetup, masters: Masters): Promise<Figures> {
  await Promise.all(masters.admins.map(flushAll));
  const clusterUrls = setup.topology === 'cluster' ? masters.target.urls : undefined;
  const create = () => createEngineProducer(masters.target, setup.buckets);
  const figures = await withProducer(
    ctx,
    (producer) =>
      withNodes(
        ctx,
        ctx.profile.nodesPerScenario,
        async (nodes) => ({
          ...(await drainOnMasters(ctx, masters, nodes, producer, ctx.profile.clusterDrainTasks)),
          ...(await spreadOnTarget(ctx, nodes, producer, ctx.profile.clusterSpreadTasks)),
        }),
        { clusterUrls, buckets: setup.buckets },
      ),
    create,
  );
  return Object.fromEntries(Object.entries(figures).map(([key, value]) => [`cluster.${setup.key}.${key}`, value]));
}

/** Every setup once: the standalone one on ctx's server, the cluster ones on a cluster started here. */
export async function clusterScenario(ctx: ScenarioContext): Promise<Figures> {
  const setups = clusterSetups(ctx.profile.clusterBuckets);
  const figures: Figures = {};
  const standalone: Masters = { target: { topology: 'standalone', urls: [ctx.redisUrl] }, admins: [ctx.admin] };
  for (const setup of setups.filter((s) => s.topology === 'standalone')) Object.assign(figures, await runSetup(ctx, setup, standalone));
  const startMs = Date.now();
  const cluster = await RedisClusterProcess.start();
  ctx.log(`  cluster of 3 masters + 3 replicas ready in ${((Date.now() - startMs) / 1000).toFixed(1)} s`);
  let masters: Masters | undefined;
  try {
    masters = await clusterMasters(cluster);
    for (const setup of setups.filter((s) => s.topology === 'cluster')) {
      const setupStartMs = Date.now();
      Object.assign(figures, await runSetup(ctx, setup, masters));
      ctx.log(`  ${setupLabel(setup)}: ${((Date.now() - setupStartMs) / 1000).toFixed(1)} s`);
    }
  } finally {
    await Promise.all(masters?.admins.map((admin) => admin.close()) ?? []);
    await cluster.destroy();
  }
  return figures;
}
