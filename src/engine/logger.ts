/** Where the engine writes what it does; the AntelopeJS module passes its Logging channel. */
export interface SchedulerLogger {
  error(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  info(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}

/** The default logger: errors, warnings and info on the console. */
export const CONSOLE_LOGGER: SchedulerLogger = {
  error: (...args) => console.error('[redis_scheduler]', ...args),
  warn: (...args) => console.warn('[redis_scheduler]', ...args),
  info: (...args) => console.info('[redis_scheduler]', ...args),
  debug: () => undefined,
};
