// Reading tasks without touching them (issue 12): one page of a state, one task, the stats.
// Every read is one read-only script, so a task is never seen half-way between two states.
import type { HandlerStats, ListTasksOptions, TaskPage, TaskState, TaskView } from '../interfaces/redis_scheduler/beta/types';
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
  // One more than asked tells whether another page exists. Each bucket gives its next tasks after the
  // cursor; merged in (score, taskInfo) order, the order of one sorted set, they are the name's next ones.
  const perBucket = await Promise.all(ctx.keys.allBuckets(name).map((keys) => ctx.scripts.list(keys, state, limit + 1, position)));
  const raw = perBucket.length === 1 ? perBucket[0] : perBucket.flat().sort(byScoreThenMember).slice(0, limit + 1);
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
  const raw: RawTask = await ctx.scripts.get(ctx.keys.forTask(name, taskInfo), taskInfo);
  // A lease whose claim carries a mark (see claim.lua) is a run superseded by a re-add or cancelled
  // by a remove: the task is then scheduled (by its due entry) or gone, as stats.lua counts it.
  if (raw.leaseScore !== null && raw.claim !== null && !isMarked(raw.claim)) {
    return viewOf(name, taskInfo, 'running', raw.leaseScore, raw.attemptsUsed, raw.claim, null);
  }
  if (raw.dueScore !== null) return viewOf(name, taskInfo, 'scheduled', raw.dueScore, raw.attemptsUsed, null, null);
  if (raw.deadScore !== null) return viewOf(name, taskInfo, 'dead', raw.deadScore, null, null, raw.deadInfo);
  return null;
}

/** The HandlerStats of one name from the figures of stats.lua (summed over its buckets). */
export function statsOf(name: string, counts: NameCounts, handledHere: boolean): HandlerStats {
  const { scheduled, running, dead, overdue, oldestOverdueMs, retrying, recurring, coalescedTicks } = counts;
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
    recurring,
    coalescedTicks,
  };
}

/** The figures of a name from those of its buckets: counts add up, the oldest lag and the earliest times win. */
export function sumCounts(buckets: NameCounts[]): NameCounts {
  const earliest = (values: number[]) => values.filter((v) => v >= 0).reduce((min, v) => Math.min(min, v), Infinity);
  const sum = (field: keyof NameCounts) => buckets.reduce((total, counts) => total + counts[field], 0);
  const nextDueMs = earliest(buckets.map((c) => c.nextDueMs));
  const pausedAtMs = earliest(buckets.map((c) => c.pausedAtMs));
  return {
    scheduled: sum('scheduled'),
    running: sum('running'),
    dead: sum('dead'),
    overdue: sum('overdue'),
    oldestOverdueMs: Math.max(0, ...buckets.map((c) => c.oldestOverdueMs)),
    retrying: sum('retrying'),
    nextDueMs: Number.isFinite(nextDueMs) ? nextDueMs : -1,
    pausedAtMs: Number.isFinite(pausedAtMs) ? pausedAtMs : -1,
    recurring: sum('recurring'),
    coalescedTicks: sum('coalescedTicks'),
  };
}

/** Whether a name holds nothing: no task in any state, no recurring task, no pause. */
export function isEmpty(stats: HandlerStats): boolean {
  return stats.scheduled === 0 && stats.running === 0 && stats.dead === 0 && stats.recurring === 0 && !stats.paused;
}

/** The order of members of equal score in a sorted set: by their bytes. */
export function compareMembers(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The order of a sorted set: by score, then by member. */
function byScoreThenMember(a: RawListedTask, b: RawListedTask): number {
  return Number(a.score) - Number(b.score) || compareMembers(a.taskInfo, b.taskInfo);
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
    return { name, taskInfo, state, dueTimeMs: Number.isFinite(dueTimeMs) ? dueTimeMs : scoreMs, attempt: nextAttempt, leaseExpiresMs: scoreMs };
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
