// The RedisScheduler's recurring-task methods (docs/recurring.md), delegating to recurrence.ts.
import { parseSchedule } from './schedule-spec';
import { SchedulerCore } from './scheduler-core';
import { checkHandlerName, checkTaskInfo } from './validation';
import type { RecurringSchedule, RecurringTask } from '../interfaces/redis_scheduler/beta/types';

/** Recurring tasks: add one, list them. removeTask (scheduler.ts) ends one. */
export abstract class RecurringApi extends SchedulerCore {
  /**
   * Runs `taskInfo` for handler `name` on a schedule, once per tick across all nodes (see
   * docs/recurring.md). The same (name, schedule, taskInfo) again changes nothing; another schedule
   * replaces it and recomputes the next tick. removeTask ends it. Resolves to whether it wrote.
   * @throws TypeError naming the field on a bad schedule, name or taskInfo (nothing is written),
   *   Error for an unknown handler unless allowUnknownHandlers.
   */
  async addRecurringTask(name: string, schedule: RecurringSchedule, taskInfo: string): Promise<boolean> {
    checkHandlerName(name);
    const grid = parseSchedule(schedule);
    checkTaskInfo(taskInfo, this.options.maxTaskInfoBytes);
    this.adder.checkKnownHandler(name);
    await this.ready('addRecurringTask');
    return this.recurrence.upsert(name, grid, taskInfo);
  }

  /** The recurring tasks of `name`, or of every name: schedule, next due time, last run and outcome. */
  async getRecurringTasks(name?: string): Promise<RecurringTask[]> {
    if (name !== undefined) checkHandlerName(name);
    await this.ready('getRecurringTasks');
    if (name !== undefined) return this.recurrence.list([name]);
    return this.recurrence.list([...new Set([...(await this.names.list()), ...this.handlers.keys()])].sort());
  }
}
