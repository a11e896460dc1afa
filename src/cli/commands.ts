// What each CLI command does with the engine, and how it prints: a table, or JSON with --json.
import type { RedisScheduler } from '../engine/scheduler';
import type { HandlerStats, TaskView } from '../interfaces/redis_scheduler/beta/types';
import type { CliRequest } from './args';
import { isoTime, oneLine, renderTable, shortDuration, type Column } from './table';

/** A command's result: what to print, and the exit code (1 when the thing asked for is not there). */
export interface CommandResult {
  output: string;
  exitCode: number;
}

type Runner = (engine: RedisScheduler, request: CliRequest) => Promise<CommandResult>;

const ok = (output: string): CommandResult => ({ output, exitCode: 0 });
const json = (value: unknown) => JSON.stringify(value, null, 2);

export const COMMAND_RUNNERS: Record<Exclude<CliRequest['command'], 'serve-metrics' | 'dashboard' | 'rebucket'>, Runner> = {
  stats: async (engine, request) => {
    const stats = await engine.getStats();
    return ok(request.json ? json(stats.map(({ handledHere: _, ...figures }) => figures)) : statsTable(stats));
  },
  list: async (engine, request) => {
    const page = await engine.listTasks(request.name, { state: request.state, limit: request.limit, cursor: request.cursor });
    if (request.json) return ok(json(page));
    const more = page.cursor ? `\nmore: redis-scheduler list ${JSON.stringify(request.name)} --state ${request.state} --cursor ${page.cursor}` : '';
    return ok(page.tasks.length === 0 ? `no ${request.state} task of "${request.name}"` : tasksTable(page.tasks) + more);
  },
  get: async (engine, request) => {
    const task = await engine.getTask(request.name, request.taskInfos[0]);
    if (!task) return { output: request.json ? 'null' : `no task ${JSON.stringify(request.taskInfos[0])} of "${request.name}"`, exitCode: 1 };
    return ok(request.json ? json(task) : taskDetails(task));
  },
  retry: async (engine, request) => {
    const requeued = await engine.retryDeadTasks(request.name, request.taskInfos.length > 0 ? request.taskInfos : undefined);
    return ok(request.json ? json({ requeued }) : `requeued ${requeued} dead task(s) of "${request.name}", due now`);
  },
  purge: async (engine, request) => {
    const purged = await engine.purgeDeadTasks(request.name, request.olderThanMs === undefined ? {} : { olderThanMs: request.olderThanMs });
    return ok(request.json ? json({ purged }) : `purged ${purged} dead task(s) of "${request.name}"`);
  },
  pause: async (engine, request) => {
    const changed = await engine.pauseHandler(request.name);
    return ok(request.json ? json({ paused: true, changed }) : `"${request.name}" ${changed ? 'is now paused' : 'was already paused'} on every node`);
  },
  resume: async (engine, request) => {
    const changed = await engine.resumeHandler(request.name);
    return ok(request.json ? json({ paused: false, changed }) : `"${request.name}" ${changed ? 'is resumed' : 'was not paused'}`);
  },
  metrics: async (engine) => ok((await engine.getMetrics()).trimEnd()),
};

const STATS_COLUMNS: Column[] = [
  { header: 'NAME' },
  { header: 'SCHEDULED', alignRight: true },
  { header: 'RUNNING', alignRight: true },
  { header: 'DEAD', alignRight: true },
  { header: 'OVERDUE', alignRight: true },
  { header: 'LAG', alignRight: true },
  { header: 'RETRYING', alignRight: true },
  { header: 'NEXT DUE' },
  { header: 'PAUSED' },
];

function statsTable(stats: HandlerStats[]): string {
  if (stats.length === 0) return 'no handler name has had a task';
  return renderTable(
    STATS_COLUMNS,
    stats.map((s) => [
      oneLine(s.name, 40),
      String(s.scheduled),
      String(s.running),
      String(s.dead),
      String(s.overdue),
      s.overdue > 0 ? shortDuration(s.oldestOverdueMs) : '-',
      String(s.retrying),
      isoTime(s.nextDueMs),
      s.paused ? 'yes' : 'no',
    ]),
  );
}

function tasksTable(tasks: TaskView[]): string {
  const state = tasks[0].state;
  const columns: Column[] = [{ header: 'TASKINFO' }, { header: 'DUE' }, { header: 'ATTEMPT', alignRight: true }];
  if (state === 'running') columns.push({ header: 'LEASE UNTIL' });
  if (state === 'dead') columns.push({ header: 'DIED' }, { header: 'ERROR' });
  return renderTable(
    columns,
    tasks.map((task) => {
      const row = [oneLine(task.taskInfo), isoTime(task.dueTimeMs), String(task.attempt)];
      if (state === 'running') row.push(isoTime(task.leaseExpiresMs));
      if (state === 'dead') row.push(isoTime(task.diedAtMs), oneLine(task.error?.split('\n')[0] ?? '', 80));
      return row;
    }),
  );
}

function taskDetails(task: TaskView): string {
  const rows: Array<[string, string]> = [
    ['name', oneLine(task.name, 200)],
    ['taskInfo', oneLine(task.taskInfo, 200)],
    ['state', task.state],
    ['due', isoTime(task.dueTimeMs)],
    ['attempt', String(task.attempt)],
  ];
  if (task.leaseExpiresMs !== undefined) rows.push(['lease until', isoTime(task.leaseExpiresMs)]);
  if (task.diedAtMs !== undefined) rows.push(['died', isoTime(task.diedAtMs)]);
  const lines = rows.map(([field, value]) => `${field.padEnd(12)}${value}`);
  if (task.error !== undefined) lines.push('error:', ...task.error.split('\n').map((line) => `  ${line}`));
  return lines.join('\n');
}
