// listTasks cursors: the (score, taskInfo) of the last task of a page, so the next page starts right
// after it in Redis's order whether that task is still there or not (see list-tasks.lua).
import type { TaskState } from '../interfaces/redis_scheduler/beta/types';
import type { ListPosition } from './operator-scripts';

const VERSION = 'c1.';

/** An opaque cursor: "c1." + base64url of JSON [state, score, taskInfo]. */
export function encodeCursor(state: TaskState, score: string, taskInfo: string): string {
  return VERSION + Buffer.from(JSON.stringify([state, score, taskInfo]), 'utf8').toString('base64url');
}

/**
 * The position a cursor stands for.
 * @throws TypeError naming `cursor` when it was not made by listTasks for this state.
 */
export function decodeCursor(cursor: unknown, state: TaskState): ListPosition {
  const invalid = (why: string) => new TypeError(`redis_scheduler: listTasks cursor ${why}; pass the cursor of the previous page unchanged`);
  if (typeof cursor !== 'string' || !cursor.startsWith(VERSION)) throw invalid('is not one returned by listTasks');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor.slice(VERSION.length), 'base64url').toString('utf8'));
  } catch {
    throw invalid('is not one returned by listTasks');
  }
  if (!Array.isArray(decoded) || decoded.length !== 3 || !decoded.every((part) => typeof part === 'string') || Number.isNaN(Number(decoded[1]))) {
    throw invalid('is not one returned by listTasks');
  }
  const [cursorState, afterScore, afterTaskInfo] = decoded as string[];
  if (cursorState !== state) throw invalid(`belongs to a listing of "${cursorState}" tasks, not "${state}"`);
  return { afterScore, afterTaskInfo };
}
