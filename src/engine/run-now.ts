// "Run now" (the dashboard's button): a scheduled task becomes due at once, by Redis time, keeping
// its identity and attempt count. A task that is not scheduled (running, dead, done) is left alone,
// so clicking on a row that went stale never runs a task twice.
import type { OperatorContext } from './operator-scripts';
import { publishCommandOf } from './redis/redis-port';
import { LuaScript } from './redis/script-runner';
import { checkHandlerName, checkTaskInfo } from './validation';

const script = new LuaScript('run-now.lua');

/** Makes the scheduled task (name, taskInfo) due now; resolves to false (writing nothing) if it is not scheduled. */
export async function runTaskNow(ctx: OperatorContext, name: string, taskInfo: string): Promise<boolean> {
  checkHandlerName(name);
  checkTaskInfo(taskInfo, ctx.maxTaskInfoBytes);
  await ctx.ready('runTaskNow');
  const keys = ctx.keys.forTask(name, taskInfo);
  const args = [name, keys.wake, publishCommandOf(ctx.port), taskInfo];
  return Number(await script.run(ctx.port, [keys.due], args)) === 1;
}
