// One scheduler node (engine or BullMQ Worker) in its own process, driven by bench-main over IPC.
// Handlers are trivial: they record the run (task id, lateness) in memory; the driver asks for it.
import type { Job } from 'bullmq';
import { createClient } from 'redis';
import { RedisScheduler, type TaskContext } from '../src/engine/scheduler';
import { connectBenchTarget, withBuckets, type BenchTarget } from './bench-target';
import { ENGINE_PREFIX, TASK_NAME, taskIdOf, type BenchNodeSpec, type NodeCommand, type NodeEvent, type RunReport } from './bench-protocol';

/** A running node: stops its listener and closes its connections. */
type StopNode = () => Promise<void>;

class RunRecorder {
  private taskIds: number[] = [];
  private latenessMs: number[] = [];
  private dueTimesMs: number[] = [];
  private lastRunAtMs = 0;
  private cpuSince = process.cpuUsage();

  record(taskInfo: string, dueTimeMs: number): void {
    const nowMs = Date.now();
    this.taskIds.push(taskIdOf(taskInfo));
    this.latenessMs.push(nowMs - dueTimeMs);
    this.dueTimesMs.push(dueTimeMs);
    this.lastRunAtMs = nowMs;
  }

  get count(): number {
    return this.taskIds.length;
  }

  /** Hands over what was recorded and starts afresh. */
  take(): RunReport {
    const cpu = process.cpuUsage(this.cpuSince);
    this.cpuSince = process.cpuUsage();
    const report = { taskIds: this.taskIds, latenessMs: this.latenessMs, dueTimesMs: this.dueTimesMs, lastRunAtMs: this.lastRunAtMs, cpuMicros: cpu.user + cpu.system };
    this.taskIds = [];
    this.latenessMs = [];
    this.dueTimesMs = [];
    this.lastRunAtMs = 0;
    return report;
  }
}

const QUIET = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/** Handler names registered beside TASK_NAME with no tasks (the idle-names scenario). */
export function idleNameOf(i: number): string {
  return `idle-${i}`;
}

async function startEngine(spec: BenchNodeSpec, recorder: RunRecorder): Promise<StopNode> {
  const target: BenchTarget = spec.clusterUrls ? { topology: 'cluster', urls: spec.clusterUrls } : { topology: 'standalone', urls: [spec.redisUrl] };
  const connection = await connectBenchTarget(target);
  const options = withBuckets({ keyPrefix: ENGINE_PREFIX, concurrency: spec.concurrency, metrics: spec.metrics ?? true }, spec.buckets);
  const scheduler = new RedisScheduler(connection.client, options, QUIET);
  scheduler.setHandler(TASK_NAME, async (taskInfo: string, context: TaskContext) => recorder.record(taskInfo, context.dueTimeMs));
  for (let i = 0; i < (spec.idleNames ?? 0); i++) scheduler.setHandler(idleNameOf(i), async () => undefined);
  await scheduler.start();
  return async () => {
    await scheduler.stop();
    await connection.close();
  };
}

async function startBullmq(spec: BenchNodeSpec, recorder: RunRecorder): Promise<StopNode> {
  const client = createClient({ url: spec.redisUrl });
  client.on('error', () => undefined);
  // The due time is the job's timestamp plus the delay it was added with (job.delay is 0 once promoted).
  const processor = async (job: Job<string>) => recorder.record(job.data, job.timestamp + (job.opts.delay ?? 0));
  // Loaded here only, so engine nodes do not carry BullMQ.
  const { Worker } = await import('bullmq');
  const worker = new Worker<string>(TASK_NAME, processor, { connection: client, concurrency: spec.concurrency });
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  return async () => {
    await worker.close();
    if (client.isOpen) await client.close();
  };
}

function send(event: NodeEvent): void {
  process.send?.(event);
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_NODE_SPEC ?? '{}') as BenchNodeSpec;
  const recorder = new RunRecorder();
  const stop = spec.system === 'engine' ? await startEngine(spec, recorder) : await startBullmq(spec, recorder);
  process.on('message', (command: NodeCommand) => {
    if (command.type === 'count') send({ type: 'count', count: recorder.count });
    else if (command.type === 'report') send({ type: 'report', report: recorder.take() });
    else if (command.type === 'stop') void stop().finally(() => {
      send({ type: 'stopped' });
      process.disconnect?.();
    });
  });
  // The driver died: leave at once rather than linger.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

if (require.main === module) {
  main().catch((err: Error) => {
    send({ type: 'error', message: err.stack ?? err.message });
    process.exit(1);
  });
}
