// What the dashboard uses of the engine: a RedisScheduler, or anything shaped like these methods.
import type { RedisScheduler } from '../engine/scheduler';

/** The engine methods the dashboard calls (a RedisScheduler has them all). */
export type DashboardScheduler = Pick<
  RedisScheduler,
  | 'getStats'
  | 'listTasks'
  | 'getRecurringTasks'
  | 'getDueForecast'
  | 'runTaskNow'
  | 'removeTask'
  | 'retryDeadTasks'
  | 'purgeDeadTasks'
  | 'pauseHandler'
  | 'resumeHandler'
  | 'getMetrics'
>;
