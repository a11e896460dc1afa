// What the page may do (POST api/actions/<action>, JSON body { name, taskInfo | ref }): one engine
// call each. The router checks allowActions, the token, authorize and the CSRF token first.
import { HttpError } from './http-io';
import type { DashboardScheduler } from './scheduler-port';
import type { TaskRefs } from './task-refs';

/** An action's body, as the page sends it. */
type Body = Record<string, unknown>;

interface Target {
  name: string;
  taskInfo: string;
}

type Action = (scheduler: DashboardScheduler, body: Body, refs: TaskRefs) => Promise<Record<string, unknown>>;

function nameOf(body: Body): string {
  if (typeof body.name !== 'string' || body.name === '') throw new HttpError(400, 'name must be a non-empty string', 'bad-input');
  return body.name;
}

/** The task an action is about: its taskInfo as sent, or the one its ref stands for. */
function taskOf(body: Body, refs: TaskRefs): Target {
  const name = nameOf(body);
  if (typeof body.ref === 'string') {
    const task = refs.find(body.ref);
    if (!task || task.name !== name) throw new HttpError(404, 'no such task listed recently: refresh the list and try again', 'unknown-ref');
    return task;
  }
  if (typeof body.taskInfo !== 'string') throw new HttpError(400, 'taskInfo (a string) or ref is required', 'bad-input');
  return { name, taskInfo: body.taskInfo };
}

export const ACTIONS: Record<string, Action> = {
  pause: async (scheduler, body) => ({ changed: await scheduler.pauseHandler(nameOf(body)) }),
  resume: async (scheduler, body) => ({ changed: await scheduler.resumeHandler(nameOf(body)) }),
  'run-now': async (scheduler, body, refs) => {
    const { name, taskInfo } = taskOf(body, refs);
    return { changed: await scheduler.runTaskNow(name, taskInfo) };
  },
  /** Deletes a task in any state; for a recurring task, also ends its schedule. */
  delete: async (scheduler, body, refs) => {
    const { name, taskInfo } = taskOf(body, refs);
    return { changed: await scheduler.removeTask(name, taskInfo) };
  },
  retry: async (scheduler, body, refs) => {
    const { name, taskInfo } = taskOf(body, refs);
    return { requeued: await scheduler.retryDeadTasks(name, [taskInfo]) };
  },
  'retry-all': async (scheduler, body) => ({ requeued: await scheduler.retryDeadTasks(nameOf(body)) }),
  purge: async (scheduler, body) => ({ purged: await scheduler.purgeDeadTasks(nameOf(body)) }),
};
