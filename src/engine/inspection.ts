// Reading tasks without touching them (issue 12): one page of a state, one task, the stats.
// Every read is one read-only script, so a task is never seen half-way between two states.
import type { HandlerStats, ListTasksOptions, TaskPage, TaskState, TaskView } from '../interfaces/redis_scheduler/beta/types';
import { holderOf } from './claim-holder';
import { decodeCursor, encodeCursor } from './cursor';
import type { OperatorContext, RawListedTask, RawTask } from './operator-scripts';
import type { NameCounts } from './scripts';
import { checkHandlerName, checkTaskInfo } from './validation';

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 10_000;
const STATES: readonly TaskState[] = ['scheduled', 'running', 'dead'];

/** The JSON a dead task keeps (fail.lua, claim.lua); `dueTimeMs` is absent in entries written before it existed. */
interface DeadInfo {
  error?: string;
  attempts?: number;
  diedAtMs?: number;
  dueTimeMs?: number;
}

/**
 * One page of the tasks of `name` in `options.state`, in score order, in O(log n + limit).
 * @throws TypeError / RangeError naming the field on bad input.
 */
export async function listTasks(ctx: OperatorContext, name: string, options: ListTasksOptions): Promise<TaskPage> {
  checkHandlerName(name);
  if (options === null || typeof options !== 'object') {
    throw new TypeError('redis_scheduler: listTasks expects options { state, limit?, cursor? }');
  }
  const { state, limit = DEFAULT_LIST_LIMIT, cursor } = options;
  if (!STATES.includes(state)) {
    throw new TypeError(`redis_scheduler: listTasks state must be one of ${STATES.join(', ')}, received ${JSON.stringify(state) ?? String(state)}`);
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new RangeError(`redis_scheduler: listTasks limit must be an integer from 1 to ${MAX_LIST_LIMIT}, received ${String(limit)}`);
  }
  const position = cursor === undefined ? undefined : decodeCursor(cursor, state);
  await ctx.ready('listTasks');
  // One more than asked tells whether another page exists.
  const raw = await ctx.scripts.list(ctx.keys.forHandler(name), state, limit + 1, position);
  const page = raw.slice(0, limit);
  const last = page[page.length - 1];
  return {
    tasks: page.map((task) => viewOfListed(name, state, task)),
    ...(raw.length > limit ? { cursor: encodeCursor(state, last.score, last.taskInfo) } : {}),
  };
}

/** Everything known about the task (name, taskInfo), or null if it is in no state. */
export async function getTask(ctx: OperatorContext, name: string, taskInfo: string): Promise<TaskView | null> {
  checkHandlerName(name);
  checkTaskInfo(taskInfo, ctx.maxTaskInfoBytes);
  await ctx.ready('getTask');
  const raw: RawTask = await ctx.scripts.get(ctx.keys.forHandler(name), taskInfo);
  // A lease whose claim carries a mark (see claim.lua) is a run superseded by a re-add or cancelled
  // by a remove: the task is then scheduled (by its due entry) or gone, as stats.lua counts it.
  if (raw.leaseScore !== null && raw.claim !== null && !isMarked(raw.claim)) {
    return viewOf(name, taskInfo, 'running', raw.leaseScore, raw.attemptsUsed, raw.claim, null);
  }
  if (raw.dueScore !== null) return viewOf(name, taskInfo, 'scheduled', raw.dueScore, raw.attemptsUsed, null, null);
  if (raw.deadScore !== null) return viewOf(name, taskInfo, 'dead', raw.deadScore, null, null, raw.deadInfo);
  return null;
}

/** The recurring figures of one name (see Recurrence.counts). */
export type RecurrenceCounts = Pick<HandlerStats, 'recurring' | 'coalescedTicks'>;

/** The HandlerStats of one name from the figures of stats.lua and its recurring figures. */
export function statsOf(name: string, counts: NameCounts, handledHere: boolean, recurrence: RecurrenceCounts): HandlerStats {
  const { scheduled, running, dead, overdue, oldestOverdueMs, retrying } = counts;
  return {
    name,
    scheduled,
    running,
    dead,
    handledHere,
    overdue,
    oldestOverdueMs,
    retrying,
    nextDueMs: counts.nextDueMs < 0 ? null : counts.nextDueMs,
    paused: counts.pausedAtMs >= 0,
    ...recurrence,
  };
}

/** Whether a claim carries the '+' (superseded) or '!' (cancelled) mark of claim.lua. */
function isMarked(claim: string): boolean {
  return claim.startsWith('+') || claim.startsWith('!');
}

function viewOfListed(name: string, state: TaskState, task: RawListedTask): TaskView {
  return viewOf(name, task.taskInfo, state, task.score, task.attemptsUsed, task.claim, task.deadInfo);
}

/** Builds the view of a task from the score of its state's set and the hash entries of that state. */
function viewOf(
  name: string,
  taskInfo: string,
  state: TaskState,
  score: string,
  attemptsUsed: string | null,
  claim: string | null,
  deadInfoJson: string | null,
): TaskView {
  const scoreMs = Math.round(Number(score));
  const nextAttempt = Number(attemptsUsed ?? 0) + 1;
  if (state === 'scheduled') return { name, taskInfo, state, dueTimeMs: scoreMs, attempt: nextAttempt };
  if (state === 'running') {
    // claim of a current run: "<token>|<dueTimeMs>", no mark (see claim.lua)
    const dueTimeMs = Number(claim?.slice(claim.lastIndexOf('|') + 1));
    const node = holderOf(claim);
    return { name, taskInfo, state, dueTimeMs: Number.isFinite(dueTimeMs) ? dueTimeMs : scoreMs, attempt: nextAttempt, leaseExpiresMs: scoreMs, ...(node ? { node } : {}) };
  }
  const info = parseDeadInfo(deadInfoJson);
  return {
    name,
    taskInfo,
    state,
    dueTimeMs: Math.round(info.dueTimeMs ?? scoreMs),
    attempt: Number(info.attempts ?? 0),
    error: String(info.error ?? ''),
    diedAtMs: scoreMs,
  };
}

function parseDeadInfo(json: string | null): DeadInfo {
  try {
    return json ? (JSON.parse(json) as DeadInfo) : {};
  } catch {
    return {};
  }
}
