import { Cron } from 'croner';
import type { RecurringSchedule } from '../interfaces/redis_scheduler/beta/types';

/** Largest `everyMs`: 366 days. */
const MAX_EVERY_MS = 366 * 24 * 3_600_000;
/** Latest time a JavaScript Date can hold (Unix ms). */
const MAX_TIME_MS = 8.64e15;
/** Counting the ticks one coalesced run stood for stops here (a cron of every second, down for days). */
const MAX_COUNTED_TICKS = 100_000;

/**
 * A validated schedule: its canonical form (equal specs give equal `key`s, so an upsert with the
 * same spec changes nothing) and the grid of tick times it defines.
 */
export interface ScheduleGrid {
  /** The schedule as stored and reported, defaults filled in (`timezone: "UTC"`). */
  readonly spec: RecurringSchedule;
  /** Canonical JSON of `spec`, with a fixed field order. */
  readonly key: string;
  /**
   * The first grid point strictly after `afterMs` (Unix ms), or undefined if there is none.
   * `anchorMs` is the origin of an `everyMs` grid (cron ignores it).
   */
  nextAfter(afterMs: number, anchorMs: number): number | undefined;
  /** How many grid points lie strictly between `fromMs` and `toMs` (at most 100,000 are counted). */
  countBetween(fromMs: number, toMs: number, anchorMs: number): number;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function fail(field: string, expected: string, received: unknown): never {
  throw new TypeError(`redis_scheduler: schedule.${field} must be ${expected}, received ${describe(received)}`);
}

function checkFields(schedule: Record<string, unknown>, allowed: string[]): void {
  for (const field of Object.keys(schedule)) {
    if (!allowed.includes(field)) {
      throw new TypeError(`redis_scheduler: unknown schedule field "${field}"; expected ${allowed.join(', ')}`);
    }
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function cronGrid(schedule: Record<string, unknown>): ScheduleGrid {
  checkFields(schedule, ['cron', 'timezone']);
  const { cron: pattern, timezone = 'UTC' } = schedule;
  if (typeof pattern !== 'string' || pattern.trim().length === 0) fail('cron', 'a cron expression of 5 or 6 fields', pattern);
  if (typeof timezone !== 'string' || timezone.length === 0 || !isTimeZone(timezone)) {
    fail('timezone', 'an IANA time zone such as "Europe/Paris"', timezone);
  }
  const expression = pattern.trim().replace(/\s+/g, ' ');
  let cron: Cron;
  try {
    // Vixie-cron rules (croner ≥ 11): day-of-month OR day-of-week; a fixed time in a DST gap runs
    // at the first valid time after it, a fixed time that occurs twice runs once.
    cron = new Cron(expression, { timezone, mode: '5-or-6-parts', domAndDow: false });
  } catch (err) {
    throw new TypeError(
      `redis_scheduler: schedule.cron ${JSON.stringify(expression)} is not a valid cron expression of 5 or 6 fields (${(err as Error).message})`,
    );
  }
  if (cron.nextRun(new Date(0)) === null) fail('cron', 'an expression that matches some date', pattern);
  const spec = { cron: expression, timezone };
  return {
    spec,
    key: JSON.stringify(spec),
    nextAfter: (afterMs) => cron.nextRun(new Date(afterMs))?.getTime(),
    countBetween: (fromMs, toMs) => {
      let count = 0;
      for (let point = cron.nextRun(new Date(fromMs)); point && point.getTime() < toMs && count < MAX_COUNTED_TICKS; count++) {
        point = cron.nextRun(point);
      }
      return count;
    },
  };
}

function everyGrid(schedule: Record<string, unknown>): ScheduleGrid {
  checkFields(schedule, ['everyMs', 'startAtMs']);
  const { everyMs, startAtMs } = schedule;
  if (typeof everyMs !== 'number' || !Number.isSafeInteger(everyMs) || everyMs < 1 || everyMs > MAX_EVERY_MS) {
    fail('everyMs', `an integer number of ms from 1 to ${MAX_EVERY_MS}`, everyMs);
  }
  if (startAtMs !== undefined && (typeof startAtMs !== 'number' || !Number.isFinite(startAtMs) || startAtMs < 0 || startAtMs > MAX_TIME_MS)) {
    fail('startAtMs', `a Unix time in ms from 0 to ${MAX_TIME_MS}`, startAtMs);
  }
  const spec: RecurringSchedule = startAtMs === undefined ? { everyMs } : { everyMs, startAtMs: Math.floor(startAtMs) };
  /** Index of the first grid point strictly after `ms` (0 is the anchor). */
  const indexAfter = (ms: number, anchorMs: number) => (ms < anchorMs ? 0 : Math.floor((ms - anchorMs) / everyMs) + 1);
  return {
    spec,
    key: JSON.stringify(spec),
    nextAfter: (afterMs, anchorMs) => anchorMs + indexAfter(afterMs, anchorMs) * everyMs,
    countBetween: (fromMs, toMs, anchorMs) => {
      const firstAtOrAfterTo = toMs <= anchorMs ? 0 : Math.ceil((toMs - anchorMs) / everyMs);
      return Math.min(MAX_COUNTED_TICKS, Math.max(0, firstAtOrAfterTo - indexAfter(fromMs, anchorMs)));
    },
  };
}

/**
 * Checks a schedule given to addRecurringTask and returns its grid.
 * @throws TypeError naming the field: not an object, both or neither of `cron` and `everyMs`, an
 *   unknown field, a bad cron expression or one that never fires, an unknown time zone, `everyMs`
 *   below 1 or not a safe integer, a bad `startAtMs`.
 */
export function parseSchedule(schedule: unknown): ScheduleGrid {
  if (schedule === null || typeof schedule !== 'object' || Array.isArray(schedule)) {
    throw new TypeError(`redis_scheduler: schedule must be { cron, timezone? } or { everyMs, startAtMs? }, received ${describe(schedule)}`);
  }
  const fields = schedule as Record<string, unknown>;
  const hasCron = Object.hasOwn(fields, 'cron');
  const hasEvery = Object.hasOwn(fields, 'everyMs');
  if (hasCron === hasEvery) {
    throw new TypeError('redis_scheduler: schedule must have exactly one of the fields "cron" and "everyMs"');
  }
  return hasCron ? cronGrid(fields) : everyGrid(fields);
}
