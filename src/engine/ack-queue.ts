// Acknowledgements of ended tasks, batched: one complete.lua call per bucket of a name for all the
// tasks that ended since the last call, retried while the node listens if Redis errs.
import { errorMessage } from './errors';
import { groupByBucket, type HeldTask } from './held-task';
import type { KeySpace } from './keys';
import type { SchedulerLogger } from './logger';
import type { Scripts } from './scripts';
import { SingleFlight } from './single-flight';

const ERROR_RETRY_MS = 1_000;

/** What the queue needs from the node: whether it listens, and where a recurring task's next tick is due. */
export interface AckHooks {
  isListening(): boolean;
  onTicksEnded(name: string, bucket: number): void;
}

/** The queue of tasks whose run ended here and whose end Redis has not recorded yet. */
export class AckQueue {
  private readonly acker = new SingleFlight(() => this.flush());
  private queue: HeldTask[] = [];
  private retryTimer?: NodeJS.Timeout;

  /** `untrack`: forgets a task this node no longer holds (acknowledged, or left to its lease). */
  constructor(
    private readonly scripts: Scripts,
    private readonly keys: KeySpace,
    private readonly log: SchedulerLogger,
    private readonly hooks: AckHooks,
    private readonly untrack: (task: HeldTask) => void,
  ) {}

  /** Queues the acknowledgement of an ended task; sent with the next batch. */
  push(task: HeldTask): void {
    this.queue.push(task);
    this.acker.request();
  }

  /** At shutdown: waits for the batch under way, then sends what is left once, each step bounded by `inGrace`. */
  async shutdown(inGrace: (step: Promise<unknown>) => Promise<boolean>): Promise<void> {
    await inGrace(this.acker.settled());
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.queue.length > 0) await inGrace(this.flush());
  }

  /** Acknowledges every ended task queued so far, one script call per bucket of a name. */
  private async flush(): Promise<void> {
    const batch = this.queue.splice(0);
    await Promise.all(
      groupByBucket(batch).map(async ({ name, bucket, tasks }) => {
        try {
          const { refused, ticksEnded } = await this.scripts.completeReporting(this.keys.forBucket(name, bucket), name, tasks);
          if (refused.length > 0) this.log.warn(`${refused.length} acknowledgement(s) of "${name}" refused: lease lost meanwhile`);
          // Only an ended recurring tick has a next one to schedule (a missed one is picked up by the safety poll).
          if (ticksEnded) this.hooks.onTicksEnded(name, bucket);
          for (const task of tasks) this.untrack(task);
        } catch (err) {
          this.requeue(name, tasks, err);
        }
      }),
    );
  }

  private requeue(name: string, tasks: HeldTask[], err: unknown): void {
    if (!this.hooks.isListening()) {
      this.log.error(`could not acknowledge ${tasks.length} task(s) of "${name}" (${errorMessage(err)}); they run again after their lease`);
      for (const task of tasks) this.untrack(task);
      return;
    }
    this.log.warn(`could not acknowledge ${tasks.length} task(s) of "${name}" (${errorMessage(err)}); retrying`);
    this.queue.push(...tasks);
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      this.acker.request();
    }, ERROR_RETRY_MS);
  }
}
