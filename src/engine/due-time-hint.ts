import type { SchedulerLogger } from './scheduler';

/**
 * Due times before this (1973-03-03) are more likely Unix seconds than milliseconds: Date.now() / 1000
 * today is about 1.8e9, far below it, while no real schedule points at the early 1970s.
 */
const SECONDS_LIKE_BELOW_MS = 1e11;

/** Warns once (per scheduler) when a due time looks like Unix seconds; such a task is due at once. */
export class SecondsLikeDueTimeHint {
  private warned = false;

  constructor(private readonly log: SchedulerLogger) {}

  /** `dueTimeMs` has passed checkDueTime; 0 is taken as an explicit "now" and not warned about. */
  check(dueTimeMs: number, name: string): void {
    if (this.warned || dueTimeMs <= 0 || dueTimeMs >= SECONDS_LIKE_BELOW_MS) return;
    this.warned = true;
    this.log.warn(
      `a task of "${name}" has dueTime ${dueTimeMs}, before 1973: it looks like Unix seconds, and runs now. ` +
        'dueTime is Unix milliseconds (Date.now() + delayMs). This warning is shown once.',
    );
  }
}
