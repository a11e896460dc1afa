// The JSON the page polls: the overview (stats and due forecast of every name), a page of a name's
// tasks in one state, its recurring tasks, and the whole of one long taskInfo.
import type { HandlerStats, RecurringTask, TaskState, TaskView } from '../interfaces/redis_scheduler/beta/types';
import { HttpError } from './http-io';
import type { DashboardOptions } from './options';
import { cut, previewTaskInfo, type TaskInfoPreview } from './preview';
import type { DashboardScheduler } from './scheduler-port';
import type { TaskRefs } from './task-refs';

/** Slices of the "due over the next hour" chart. */
export const FORECAST = { buckets: 12, bucketMs: 5 * 60_000 } as const;
/** Most characters of a dead task's error (its stack) sent to the page. */
const MAX_ERROR_CHARS = 20_000;
/** Most recurring tasks of one listing. */
const MAX_RECURRING = 1_000;

export interface ApiContext {
  scheduler: DashboardScheduler;
  options: DashboardOptions;
  refs: TaskRefs;
}

/** GET api/overview. */
export interface Overview {
  /** Redis time of the reading (Unix ms), or this server's clock when there is no name. */
  nowMs: number;
  stats: HandlerStats[];
  forecast: { bucketMs: number; byName: Record<string, number[]> };
}

/** A task as GET api/tasks sends it. */
export type TaskRow = Omit<TaskView, 'taskInfo'> & TaskInfoPreview & { errorTruncated?: boolean };

/** A recurring task as GET api/recurring sends it. */
export type RecurringRow = Omit<RecurringTask, 'taskInfo'> & TaskInfoPreview;

export async function overview(ctx: ApiContext): Promise<Overview> {
  const stats = await ctx.scheduler.getStats();
  const forecasts = await Promise.all(stats.map((s) => ctx.scheduler.getDueForecast(s.name, FORECAST)));
  return {
    nowMs: forecasts[0]?.nowMs ?? Date.now(),
    stats,
    forecast: { bucketMs: FORECAST.bucketMs, byName: Object.fromEntries(stats.map((s, i) => [s.name, forecasts[i].counts])) },
  };
}

const STATES: readonly string[] = ['scheduled', 'running', 'dead'];

function requiredName(query: URLSearchParams): string {
  const name = query.get('name');
  if (name === null || name === '') throw new HttpError(400, 'name is required', 'bad-input');
  return name;
}

export async function tasks(ctx: ApiContext, query: URLSearchParams): Promise<{ tasks: TaskRow[]; cursor?: string }> {
  const name = requiredName(query);
  const state = query.get('state') ?? 'scheduled';
  if (!STATES.includes(state)) throw new HttpError(400, `state must be one of ${STATES.join(', ')}`, 'bad-input');
  const cursor = query.get('cursor') || undefined;
  const page = await ctx.scheduler.listTasks(name, { state: state as TaskState, limit: ctx.options.pageSize, cursor });
  return { tasks: page.tasks.map((task) => taskRow(ctx, task)), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

function taskRow(ctx: ApiContext, task: TaskView): TaskRow {
  const { taskInfo, error, ...rest } = task;
  const row: TaskRow = { ...rest, ...previewTaskInfo(ctx.refs, task.name, taskInfo, ctx.options.previewChars) };
  if (error !== undefined) {
    row.error = cut(error, MAX_ERROR_CHARS);
    if (error.length > MAX_ERROR_CHARS) row.errorTruncated = true;
  }
  return row;
}

export async function recurring(ctx: ApiContext, query: URLSearchParams): Promise<{ tasks: RecurringRow[]; total: number }> {
  const name = query.get('name') || undefined;
  const all = await ctx.scheduler.getRecurringTasks(name);
  const rows = all.slice(0, MAX_RECURRING).map(({ taskInfo, ...rest }) => ({ ...rest, ...previewTaskInfo(ctx.refs, rest.name, taskInfo, ctx.options.previewChars) }));
  return { tasks: rows, total: all.length };
}

/** GET api/task-info?ref=: the whole taskInfo of a task listed cut short. */
export function fullTaskInfo(ctx: ApiContext, query: URLSearchParams): string {
  const task = ctx.refs.find(query.get('ref') ?? '');
  if (!task) throw new HttpError(404, 'no such task listed recently: refresh the list and try again', 'unknown-ref');
  return task.taskInfo;
}
