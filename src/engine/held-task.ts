import type { ClaimedTask } from './scripts';

/** A claim this node holds, from the claim until Redis has its outcome. */
export interface HeldTask extends ClaimedTask {
  name: string;
  /** Created on the first read of the handler's signal: most handlers never read it. */
  abort?: AbortController;
  /** Why the task was aborted before its signal was created. */
  abortReason?: Error;
  /** The handler succeeded; the acknowledgement is queued or in flight. */
  succeeded: boolean;
  /** The task was removed while running: the run only has to free its lease when it ends. */
  cancelled: boolean;
}

/** The task's AbortSignal, created on first use (already aborted if the task was). */
export function signalOf(task: HeldTask): AbortSignal {
  if (!task.abort) {
    task.abort = new AbortController();
    if (task.abortReason) task.abort.abort(task.abortReason);
  }
  return task.abort.signal;
}

/** Fires the task's signal, or records the reason for when the handler first reads it. */
export function abortTask(task: HeldTask, reason: Error): void {
  if (task.abort) task.abort.abort(reason);
  else task.abortReason ??= reason;
}

/** Tasks grouped by handler name (one script call per name). */
export function groupByName(tasks: HeldTask[]): Map<string, HeldTask[]> {
  const groups = new Map<string, HeldTask[]>();
  for (const task of tasks) {
    const list = groups.get(task.name) ?? [];
    list.push(task);
    groups.set(task.name, list);
  }
  return groups;
}
