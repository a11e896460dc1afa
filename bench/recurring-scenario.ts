// Recurring tasks: `recurringSchedules` schedules every second on the scenario's nodes, watched for
// `recurringWindowMs`: lateness of each tick (start minus its due time), ticks run twice, ticks not run.
import { taskInfoOf } from './bench-protocol';
import { flushAll } from './redis-admin';
import { withNodes, withProducer, type Figures, type Scenario } from './scenarios';
import { maxOf, quantile } from './stats';

const EVERY_MS = 1_000;

export const recurringScenario: Scenario = async (ctx) => {
  await flushAll(ctx.admin);
  const { recurringSchedules: count, recurringWindowMs: windowMs, leadMs } = ctx.profile;
  return withProducer(ctx, (producer) =>
    withNodes(ctx, ctx.profile.nodesPerScenario, async (nodes): Promise<Figures> => {
      const taskInfos = Array.from({ length: count }, (_, i) => taskInfoOf('recu', i));
      // Leave time to register: the first tick is due once every schedule is in.
      const startAtMs = Math.ceil((Date.now() + leadMs + count / 2) / EVERY_MS) * EVERY_MS;
      const registerStartMs = Date.now();
      await producer.addSchedules(taskInfos, EVERY_MS, startAtMs);
      const registerSeconds = (Date.now() - registerStartMs) / 1000;
      if (Date.now() > startAtMs) ctx.log(`  warning: ${ctx.system} finished registering after the first tick was due`);
      const endMs = startAtMs + windowMs;
      await sleep(endMs - Date.now() + ctx.profile.settleMs + 2_000);
      const reports = await Promise.all(nodes.map((node) => node.report()));

      const seen = new Set<string>();
      const latenessMs: number[] = [];
      let duplicates = 0;
      for (const report of reports) {
        report.taskIds.forEach((id, i) => {
          const dueTimeMs = report.dueTimesMs[i];
          if (dueTimeMs < startAtMs || dueTimeMs >= endMs) return;
          const tick = `${id}@${dueTimeMs}`;
          if (seen.has(tick)) duplicates++;
          seen.add(tick);
          latenessMs.push(report.latenessMs[i]);
        });
      }
      const expected = count * Math.round(windowMs / EVERY_MS);
      ctx.log(`  ${ctx.system}: ${count} schedules registered in ${registerSeconds.toFixed(1)} s; ${seen.size}/${expected} ticks ran in the window`);
      return {
        'recurring.registerSeconds': registerSeconds,
        'recurring.latenessP50Ms': quantile(latenessMs, 0.5),
        'recurring.latenessP99Ms': quantile(latenessMs, 0.99),
        'recurring.latenessMaxMs': maxOf(latenessMs),
        'recurring.duplicates': duplicates,
        'recurring.missedTicks': expected - seen.size,
      };
    }),
  );
};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
