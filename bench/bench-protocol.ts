// Messages between the bench driver and its node processes (bench-node.ts), over the fork IPC channel.

/** The two systems the bench compares. */
export type BenchSystem = 'engine' | 'bullmq';

export const SYSTEMS: readonly BenchSystem[] = ['engine', 'bullmq'];

/** The handler name (engine) and queue name (BullMQ) every scenario uses. */
export const TASK_NAME = 'bench';
/** Key prefix of the engine; BullMQ keeps its own `bull:` prefix. */
export const ENGINE_PREFIX = 'bench';

/** What a node process runs, passed in its environment as JSON. */
export interface BenchNodeSpec {
  system: BenchSystem;
  redisUrl: string;
  concurrency: number;
  /** Engine nodes: record run metrics (the engine's `metrics` option). Default true. */
  metrics?: boolean;
  /** Engine nodes on a cluster: every node's URL (redisUrl is then ignored). */
  clusterUrls?: string[];
  /** Engine nodes: the `buckets` option, when the engine has it. */
  buckets?: number;
  /** Engine nodes: this many more handler names (`idle-0`, …) registered beside TASK_NAME, with no tasks. */
  idleNames?: number;
}

/** What a node saw since its last report: one entry per handler run. */
export interface RunReport {
  /** Numeric part of each taskInfo run, in run order (a duplicate appears twice). */
  taskIds: number[];
  /** Date.now() at the start of the run minus the task's due time, per run. */
  latenessMs: number[];
  /** The task's due time, per run (a recurring tick is (taskInfo, dueTimeMs)). */
  dueTimesMs: number[];
  /** Date.now() of the last run, 0 if none. */
  lastRunAtMs: number;
  /** CPU time (user + system) the process used since the last report, in µs. */
  cpuMicros: number;
}

export type NodeCommand = { type: 'count' } | { type: 'report' } | { type: 'stop' };

export type NodeEvent =
  | { type: 'ready' }
  | { type: 'count'; count: number }
  | { type: 'report'; report: RunReport }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

/** taskInfo of task `id` of a batch: always 16 bytes ("<4-char tag>" + 12 digits). */
export function taskInfoOf(tag: string, id: number): string {
  return `${tag.slice(0, 4).padEnd(4, '-')}${String(id).padStart(12, '0')}`;
}

/** The id that taskInfoOf encoded. */
export function taskIdOf(taskInfo: string): number {
  return Number(taskInfo.slice(4));
}
