// Pausing a name fleet-wide (issue 12). The flag is a key of the name in Redis (keys.paused), read by
// claim.lua on every claim: no node claims a paused name, running tasks finish, and the pause
// survives node restarts. Ticks that fall due meanwhile simply wait, as during downtime.
import type { OperatorContext } from './operator-scripts';
import { checkHandlerName } from './validation';

/** Pauses `name` on every node; returns false if it was already paused. */
export async function pauseHandler(ctx: OperatorContext, name: string): Promise<boolean> {
  checkHandlerName(name);
  await ctx.ready('pauseHandler');
  // Listed by getStats even before its first task. The registry lives in another slot, so it is
  // written apart from the script, first (as for adds): a name is never paused unlisted.
  await ctx.names.register(name);
  // Every bucket has its own flag (claim.lua reads its bucket's): all are set; false only if all were.
  const newly = await Promise.all(ctx.keys.allBuckets(name).map((keys) => ctx.scripts.pause(keys)));
  return newly.some(Boolean);
}

/** Lifts the pause of `name` and wakes the listeners; returns false if it was not paused. */
export async function resumeHandler(ctx: OperatorContext, name: string): Promise<boolean> {
  checkHandlerName(name);
  await ctx.ready('resumeHandler');
  const lifted = await Promise.all(ctx.keys.allBuckets(name).map((keys) => ctx.scripts.resume(keys, name)));
  return lifted.some(Boolean);
}
