import type { DeadRetention } from './options';
import type { ClaimedTask } from './scripts';

/** A claim this node holds, from the claim until Redis has its outcome. */
export interface HeldTask extends ClaimedTask {
  name: string;
  /** The bucket of the name that holds the task (see keys.ts). */
  bucket: number;
  /** Created on the first read of the handler's signal: most handlers never read it. */
  abort?: AbortController;
  /** Why the task was aborted before its signal was created. */
  abortReason?: Error;
  /** The handler succeeded; the acknowledgement is queued or in flight. */
  succeeded: boolean;
  /** The task was removed while running: the run only has to free its lease when it ends. */
  cancelled: boolean;
  /** This node handed the task back (shutdown, no handler): its run ends as `handed_back` in the metrics. */
  handedBack?: boolean;
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

/** The tasks of one bucket of one name. */
export interface BucketGroup {
  name: string;
  bucket: number;
  tasks: HeldTask[];
}

/** Tasks grouped by (handler name, bucket): one script call per group. */
export function groupByBucket(tasks: Iterable<HeldTask>): BucketGroup[] {
  const groups = new Map<string, BucketGroup[]>();
  const all: BucketGroup[] = [];
  // Runs of tasks of one bucket are the rule (a claim's tasks end together): they skip the lookups.
  let last: BucketGroup | undefined;
  for (const task of tasks) {
    if (last?.bucket !== task.bucket || last.name !== task.name) {
      let ofName = groups.get(task.name);
      if (!ofName) groups.set(task.name, (ofName = []));
      last = ofName[task.bucket];
      if (!last) all.push((last = ofName[task.bucket] = { name: task.name, bucket: task.bucket, tasks: [] }));
    }
    last.tasks.push(task);
  }
  return all;
}

/** Dead-set retention per bucket: a name keeps about `maxTasks` dead tasks in all, split over its buckets. */
export function retentionPerBucket(retention: DeadRetention, buckets: number): DeadRetention {
  return buckets === 1 ? retention : { ...retention, maxTasks: Math.max(1, Math.ceil(retention.maxTasks / buckets)) };
}
