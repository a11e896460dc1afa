// The RedisScheduler's operator methods (issue 12 and the dashboard): figures, listing, one task,
// the dead set, pause, run-now, the due forecast and metrics. Each delegates to its own file.
import * as deadSet from './dead-set';
import * as dueForecast from './due-forecast';
import type { DueForecast, DueForecastOptions } from './due-forecast';
import * as inspection from './inspection';
import * as pause from './pause';
import { RecurringApi } from './recurring-api';
import * as runNow from './run-now';
import { checkHandlerName } from './validation';
import type {
  DeadTask,
  HandlerStats,
  ListTasksOptions,
  PurgeDeadOptions,
  TaskPage,
  TaskView,
} from '../interfaces/redis_scheduler/beta/types';

const MAX_DEAD_TASKS_LIMIT = 100_000;

/** What an operator reads and does: works on any node, listening or not. */
export abstract class OperatorApi extends RecurringApi {
  /**
   * Figures per handler name (every name that has had a task or a pause, and every name handled
   * here), each task counted once: counts by state, overdue tasks and the lag by Redis time,
   * retries, next due time, pause. One script per name, whatever the backlog.
   */
  async getStats(): Promise<HandlerStats[]> {
    await this.ready('getStats');
    const names = new Set<string>([...(await this.names.list()), ...this.handlers.keys()]);
    const stats = await Promise.all(
      [...names].sort().map(async (name) => {
        const counts = await Promise.all(this.keys.allBuckets(name).map((keys) => this.scripts.stats(keys)));
        return inspection.statsOf(name, inspection.sumCounts(counts), this.handlers.has(name));
      }),
    );
    await this.names.forget(stats.filter((s) => !s.handledHere && inspection.isEmpty(s)).map((s) => s.name), (name) => this.nameIsEmpty(name));
    return stats;
  }

  /**
   * One page of the tasks of `name` in a state, in due order (lease-expiry order for running tasks,
   * death order for dead ones), in O(log n + limit). Pass `cursor` back for the next page: every
   * task that stays in that state is seen once, however many are added, claimed or removed meanwhile.
   */
  async listTasks(name: string, options: ListTasksOptions): Promise<TaskPage> {
    return inspection.listTasks(this.ops, name, options);
  }

  /** The task (name, taskInfo) in whatever state it is, or null. */
  async getTask(name: string, taskInfo: string): Promise<TaskView | null> {
    return inspection.getTask(this.ops, name, taskInfo);
  }

  /**
   * Requeues dead tasks of `name`, due now with a full set of attempts: those of `taskInfos` (the
   * others are ignored), or all of them. Resolves to how many were requeued.
   */
  async retryDeadTasks(name: string, taskInfos?: readonly string[]): Promise<number> {
    return deadSet.retryDeadTasks(this.ops, name, taskInfos);
  }

  /** Deletes dead tasks of `name`: all, or those dead for at least `olderThanMs` (Redis time). Resolves to how many. */
  async purgeDeadTasks(name: string, options: PurgeDeadOptions = {}): Promise<number> {
    return deadSet.purgeDeadTasks(this.ops, name, options);
  }

  /** The oldest dead tasks of a name (most `limit`), with their last error and attempt count. */
  async getDeadTasks(name: string, limit = 100): Promise<DeadTask[]> {
    checkHandlerName(name);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_DEAD_TASKS_LIMIT) {
      throw new RangeError(`redis_scheduler: getDeadTasks limit must be an integer from 1 to ${MAX_DEAD_TASKS_LIMIT}, received ${String(limit)}`);
    }
    await this.ready('getDeadTasks');
    return deadSet.oldestDeadTasks(this.ops, name, limit);
  }

  /**
   * Pauses `name` fleet-wide, persisted in Redis: no node claims its tasks until resumeHandler;
   * running ones finish. Resolves to false if it was already paused.
   */
  async pauseHandler(name: string): Promise<boolean> {
    return pause.pauseHandler(this.ops, name);
  }

  /** Lifts the pause of `name`; nodes claim its due tasks at once. Resolves to false if it was not paused. */
  async resumeHandler(name: string): Promise<boolean> {
    return pause.resumeHandler(this.ops, name);
  }

  /** Makes the scheduled task (name, taskInfo) due now, attempts kept; false (nothing written) if it is not scheduled. */
  async runTaskNow(name: string, taskInfo: string): Promise<boolean> {
    return runNow.runTaskNow(this.ops, name, taskInfo);
  }

  /** How many tasks of `name` fall due in each coming slice of time (default: 12 × 5 min), by Redis time. */
  async getDueForecast(name: string, options?: DueForecastOptions): Promise<DueForecast> {
    return dueForecast.getDueForecast(this.ops, name, options);
  }

  /**
   * This node's metrics in the Prometheus text format: adds, runs by outcome, lag and durations
   * (unless the metrics option is false), and the task gauges read from Redis now.
   */
  async getMetrics(): Promise<string> {
    return this.metrics.text();
  }

  /** Whether no bucket of `name` holds anything (a task in any state, a schedule, a pause). */
  private async nameIsEmpty(name: string): Promise<boolean> {
    const counts = await Promise.all(this.keys.allBuckets(name).map((keys) => this.scripts.stats(keys)));
    return inspection.isEmpty(inspection.statsOf(name, inspection.sumCounts(counts), false));
  }
}
