// addTask/addTasks: checks every task before writing any, then writes them with one add.lua call per
// bucket of a name and per 1,000 tasks (or 4 MiB), pipelined.
import type { SecondsLikeDueTimeHint } from './due-time-hint';
import type { KeySpace } from './keys';
import type { SchedulerMetrics } from './metrics';
import type { NameRegistry } from './name-registry';
import type { SchedulerOptions } from './options';
import type { Scripts } from './scripts';
import { checkDueTime, checkHandlerName, checkTaskInfo } from './validation';
import type { TaskHandler, TaskSpec } from '../interfaces/redis_scheduler/beta/types';

/** Most tasks of one add script call. */
const ADD_CHUNK = 1_000;
/** Most taskInfo bytes (UTF-16 length as a cheap upper-bound proxy) of one add script call. */
const ADD_CHUNK_CHARS = 4 * 1024 * 1024;

/** What adding needs from the scheduler around it. */
export interface TaskAdderParts {
  keys: KeySpace;
  scripts: Scripts;
  names: NameRegistry;
  options: SchedulerOptions;
  handlers: ReadonlyMap<string, TaskHandler>;
  metrics: SchedulerMetrics;
  secondsHint: SecondsLikeDueTimeHint;
  /** Waits for Redis and the bucket count before the first command of `call`. */
  ready(call: string): Promise<void>;
  /** Tasks of a handled name's bucket fall due in `delayMs`. */
  wakeBucket(name: string, bucket: number, delayMs: number): void;
}

/** Tasks of one add script call, as (dueTimeMs, taskInfo) pairs. */
interface AddChunk {
  pairs: string[];
  chars: number;
}

/** Writes new tasks (or new due times) to Redis. */
export class TaskAdder {
  constructor(private readonly parts: TaskAdderParts) {}

  /** Checks all `tasks` (throwing before any write), then adds them; `call` names the API call in errors. */
  async add(tasks: readonly TaskSpec[], call: string): Promise<void> {
    if (!Array.isArray(tasks)) throw new TypeError('redis_scheduler: addTasks expects an array of { name, dueTimeMs, taskInfo }');
    const byName = this.checkAll(tasks);
    await this.parts.ready(call);
    const writes: Array<Promise<void>> = [];
    for (const [name, list] of byName) {
      for (const [bucket, chunks] of this.chunksByBucket(list)) {
        for (const chunk of chunks) {
          // From the second chunk on, let the client send what is queued first, so Redis runs a chunk
          // while this process encodes the next one instead of waiting for all of them.
          if (writes.length > 0) await nextTurn();
          const write = this.addChunk(name, bucket, chunk.pairs);
          write.catch(() => undefined); // rejections are reported by Promise.all below, not as unhandled
          writes.push(write);
        }
      }
    }
    await Promise.all(writes);
  }

  /** Throws unless `name` has a handler here or allowUnknownHandlers is set. */
  checkKnownHandler(name: string): void {
    if (!this.parts.options.allowUnknownHandlers && !this.parts.handlers.has(name)) {
      throw new Error(
        `redis_scheduler: unknown handler "${name}": register it with setHandler first, or set allowUnknownHandlers on producer-only nodes`,
      );
    }
  }

  /** The tasks by name, every one checked. */
  private checkAll(tasks: readonly TaskSpec[]): Map<string, TaskSpec[]> {
    const byName = new Map<string, TaskSpec[]>();
    for (const task of tasks) {
      let list = byName.get(task?.name);
      if (list) {
        // The name passed every check with an earlier task of this call.
        this.checkTaskFields(task.dueTimeMs, task.taskInfo);
      } else {
        checkHandlerName(task?.name);
        this.checkTaskFields(task?.dueTimeMs, task?.taskInfo);
        this.checkKnownHandler(task.name);
        byName.set(task.name, (list = []));
      }
      list.push(task);
      this.parts.secondsHint.check(task.dueTimeMs, task.name);
    }
    return byName;
  }

  private checkTaskFields(dueTimeMs: unknown, taskInfo: unknown): void {
    checkDueTime(dueTimeMs);
    checkTaskInfo(taskInfo, this.parts.options.maxTaskInfoBytes);
  }

  /** The tasks of one name by bucket, as chunks of flat (dueTimeMs, taskInfo) pairs, the way add.lua takes them. */
  private chunksByBucket(tasks: TaskSpec[]): Map<number, AddChunk[]> {
    const byBucket = new Map<number, AddChunk[]>();
    for (const task of tasks) {
      const bucket = this.parts.keys.bucketOf(task.taskInfo);
      let chunks = byBucket.get(bucket);
      if (!chunks) byBucket.set(bucket, (chunks = []));
      let last = chunks.at(-1);
      if (!last || last.pairs.length >= 2 * ADD_CHUNK || last.chars + task.taskInfo.length > ADD_CHUNK_CHARS) {
        chunks.push((last = { pairs: [], chars: 0 }));
      }
      last.pairs.push(String(task.dueTimeMs), task.taskInfo);
      last.chars += task.taskInfo.length;
    }
    return byBucket;
  }

  /** Adds tasks of one bucket of a name: `pairs` is (dueTimeMs, taskInfo, dueTimeMs, taskInfo, ...). */
  private async addChunk(name: string, bucket: number, pairs: string[]): Promise<void> {
    const { names, scripts, keys, metrics, handlers } = this.parts;
    // No async step when the name is already registered (the common case on a busy producer).
    const registering = names.register(name);
    if (registering) await registering;
    const delayMs = await scripts.add(keys.forBucket(name, bucket), name, pairs);
    metrics.tasksAdded(name, pairs.length / 2);
    if (delayMs >= 0 && handlers.has(name)) this.parts.wakeBucket(name, bucket, delayMs);
  }
}

/** Resolves after the callbacks already queued for this event-loop turn (setImmediate is FIFO). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
