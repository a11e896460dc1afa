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
  return ctx.scripts.pause(ctx.keys.forHandler(name));
}

/** Lifts the pause of `name` and wakes the listeners; returns false if it was not paused. */
export async function resumeHandler(ctx: OperatorContext, name: string): Promise<boolean> {
  checkHandlerName(name);
  await ctx.ready('resumeHandler');
  return ctx.scripts.resume(ctx.keys.forHandler(name), name);
}
