// Counts every task of a scenario from what the worker processes reported: how many ran, how many
// more than once, how many never.
import type { NodeProcess } from '../../support/nodes';

/** A task the scenario added. */
export interface PlannedTask {
  name: string;
  taskInfo: string;
  dueTimeMs: number;
}

/** One worker process (a node restarted after a kill is a new incarnation). */
export interface Incarnation {
  label: string;
  node: NodeProcess;
  startedAtMs: number;
  /** When the test killed it (machine clock), if it did. */
  killedAtMs?: number;
}

/** One handler run, from its 'start' event and its 'done' event if the process lived to send it. */
export interface TaskRun {
  incarnation: Incarnation;
  name: string;
  taskInfo: string;
  attempt: number;
  dueTimeMs: number;
  /** Machine clock at handler start (not shifted by clock skew). */
  startMs: number;
  endMs?: number;
  finished: boolean;
  /** The handler saw its AbortSignal fire. */
  aborted: boolean;
}

/** The counts of a scenario. */
export interface LedgerCounts {
  tasks: number;
  /** Tasks whose handler finished without its signal firing at least once. */
  ran: number;
  /** Extra runs: a run counts unless the handler was aborted and honoured the abort (hand-back). */
  duplicates: number;
  /** Tasks that never finished a run and are not in the dead set. */
  lost: number;
  dead: number;
}

export const taskKey = (name: string, taskInfo: string): string => `${name}\u0000${taskInfo}`;

/** Every run reported by these incarnations, oldest first. */
export function collectRuns(incarnations: readonly Incarnation[]): TaskRun[] {
  const runs: TaskRun[] = [];
  for (const incarnation of incarnations) {
    const open = new Map<string, TaskRun[]>();
    for (const event of incarnation.node.events) {
      if (event.type === 'start') {
        const run: TaskRun = {
          incarnation,
          name: event.name,
          taskInfo: event.taskInfo,
          attempt: event.attempt,
          dueTimeMs: event.dueTimeMs,
          startMs: event.realAtMs ?? event.atMs,
          finished: false,
          aborted: false,
        };
        runs.push(run);
        const key = taskKey(event.name, event.taskInfo);
        open.set(key, [...(open.get(key) ?? []), run]);
      } else if (event.type === 'done') {
        const run = open.get(taskKey(event.name, event.taskInfo))?.shift();
        if (!run) continue;
        run.finished = true;
        run.aborted = event.aborted;
        run.endMs = event.realAtMs;
      }
    }
  }
  return runs.sort((a, b) => a.startMs - b.startMs);
}

/** Runs grouped by task. */
export function runsByTask(runs: readonly TaskRun[]): Map<string, TaskRun[]> {
  const byTask = new Map<string, TaskRun[]>();
  for (const run of runs) {
    const key = taskKey(run.name, run.taskInfo);
    byTask.set(key, [...(byTask.get(key) ?? []), run]);
  }
  return byTask;
}

/**
 * Whether a run counts as an execution: every run does, except one whose handler saw its signal and
 * stopped (a hand-back or a lost lease the handler honoured). Handlers named in `ignoringAbort` run
 * to the end anyway, so their aborted runs count.
 */
export function countsAsExecution(run: TaskRun, ignoringAbort: ReadonlySet<string>): boolean {
  return !(run.finished && run.aborted && !ignoringAbort.has(run.name));
}

/** The counts of a scenario: `deadKeys` are the tasks found in the dead set (taskKey form). */
export function countTasks(
  planned: readonly PlannedTask[],
  runs: readonly TaskRun[],
  deadKeys: ReadonlySet<string>,
  ignoringAbort: ReadonlySet<string> = new Set(),
): LedgerCounts {
  const byTask = runsByTask(runs);
  let ran = 0;
  let duplicates = 0;
  let lost = 0;
  for (const task of planned) {
    const key = taskKey(task.name, task.taskInfo);
    const taskRuns = byTask.get(key) ?? [];
    const executions = taskRuns.filter((run) => countsAsExecution(run, ignoringAbort)).length;
    duplicates += Math.max(0, executions - 1);
    if (taskRuns.some((run) => run.finished && !run.aborted)) ran++;
    else if (!deadKeys.has(key)) lost++;
  }
  const dead = planned.filter((task) => deadKeys.has(taskKey(task.name, task.taskInfo))).length;
  return { tasks: planned.length, ran, duplicates, lost, dead };
}

/** Planned tasks that never finished a run and are not dead (for failure messages). */
export function lostTasks(planned: readonly PlannedTask[], runs: readonly TaskRun[], deadKeys: ReadonlySet<string>): PlannedTask[] {
  const finished = new Set(runs.filter((run) => run.finished && !run.aborted).map((run) => taskKey(run.name, run.taskInfo)));
  return planned.filter((task) => {
    const key = taskKey(task.name, task.taskInfo);
    return !finished.has(key) && !deadKeys.has(key);
  });
}
