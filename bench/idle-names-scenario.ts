// Idle names: a drain of idleTasks due tasks of one name, on nodes that also handle 0, 300, 3,000 …
// other names with no task. Reports the drain time and the Redis work (commands, EVALSHA) it took,
// then the Redis calls per second once nothing is due. Engine only, on the standalone server.
import { countersDelta, flushAll, serverCounters } from './redis-admin';
import { addBeforeDue, collectRuns, makeTasks, sleep, waitForRuns, withNodes, withProducer, type Figures, type ScenarioContext } from './scenarios';
import { countRuns } from './stats';

async function drainBeside(ctx: ScenarioContext, idleNames: number): Promise<Figures> {
  await flushAll(ctx.admin);
  const count = ctx.profile.idleTasks;
  return withProducer(ctx, (producer) =>
    withNodes(
      ctx,
      ctx.profile.nodesPerScenario,
      async (nodes) => {
        const dueTimeMs = Date.now() + ctx.profile.leadMs;
        await addBeforeDue(ctx, producer, makeTasks('idle', count, () => dueTimeMs), dueTimeMs);
        await collectRuns(nodes);
        const before = await serverCounters(ctx.admin);
        await waitForRuns(nodes, count, dueTimeMs + ctx.profile.runTimeoutMs, ctx.profile.settleMs);
        const runs = await collectRuns(nodes);
        const drain = countersDelta(before, await serverCounters(ctx.admin));
        const { duplicates, missing } = countRuns(runs.taskIds, count);
        const figures: Figures = {
          drainMs: runs.lastRunAtMs - dueTimeMs,
          commands: drain.commands,
          scripts: drain.scripts,
          redisCpuMs: drain.cpuMicros / 1000,
          duplicates,
          missing,
        };
        if (ctx.profile.idleWindowMs > 0) {
          const idleBefore = await serverCounters(ctx.admin);
          await sleep(ctx.profile.idleWindowMs);
          const idle = countersDelta(idleBefore, await serverCounters(ctx.admin));
          figures.idleScriptsPerSecond = (idle.scripts * 1000) / ctx.profile.idleWindowMs;
        }
        return figures;
      },
      { idleNames },
    ),
  );
}

export async function idleNamesScenario(ctx: ScenarioContext): Promise<Figures> {
  const figures: Figures = {};
  for (const idleNames of ctx.profile.idleNameCounts) {
    const startMs = Date.now();
    const drain = await drainBeside(ctx, idleNames);
    for (const [key, value] of Object.entries(drain)) figures[`idle.${idleNames}.${key}`] = value;
    ctx.log(`  ${idleNames} idle names: drain ${drain.drainMs} ms, ${drain.scripts} EVALSHA (${((Date.now() - startMs) / 1000).toFixed(1)} s)`);
  }
  return figures;
}
