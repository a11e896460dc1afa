// Long taskInfos are sent to the page cut short, with a ref: the page shows all of one, or acts on
// it, by its ref, and the dashboard finds the task's full taskInfo here. Refs are digests of
// (name, taskInfo), so one cannot be made up for a task the dashboard did not list. The store keeps
// the most recently listed ones up to a byte budget; a ref that fell out answers 404 (refresh).
import { createHash } from 'node:crypto';

/** A task the page can only name by ref. */
export interface TaskIdentity {
  name: string;
  taskInfo: string;
}

/** Bytes of taskInfo kept for refs (UTF-16 length × 2, roughly what the strings cost). */
const BUDGET_BYTES = 64 * 1024 * 1024;

export class TaskRefs {
  /** Oldest first (a Map keeps insertion order; a listed ref is moved to the end). */
  private readonly byRef = new Map<string, TaskIdentity>();
  private bytes = 0;

  /** The ref of (name, taskInfo), remembered for later lookups. */
  remember(name: string, taskInfo: string): string {
    const ref = createHash('sha256').update(name).update('\0').update(taskInfo).digest('base64url').slice(0, 32);
    const known = this.byRef.get(ref);
    if (known) {
      this.byRef.delete(ref);
      this.byRef.set(ref, known);
      return ref;
    }
    this.byRef.set(ref, { name, taskInfo });
    this.bytes += size({ name, taskInfo });
    for (const [oldRef, old] of this.byRef) {
      if (this.bytes <= BUDGET_BYTES || oldRef === ref) break;
      this.byRef.delete(oldRef);
      this.bytes -= size(old);
    }
    return ref;
  }

  /** The task of a ref the dashboard listed recently, or undefined. */
  find(ref: string): TaskIdentity | undefined {
    return this.byRef.get(ref);
  }
}

function size(task: TaskIdentity): number {
  return 2 * (task.name.length + task.taskInfo.length);
}
