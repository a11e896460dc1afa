// Schedules computed through croner against fixed clocks: DST transitions and the interval grid.
import assert from 'node:assert/strict';
import { parseSchedule, type ScheduleGrid } from '../src/engine/schedule-spec';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** Every tick of `grid` in [fromMs, toMs), each computed from the previous one (as the advancer does). */
function ticks(grid: ScheduleGrid, fromMs: number, toMs: number): string[] {
  const found: string[] = [];
  for (let t = grid.nextAfter(fromMs - 1, 0); t !== undefined && t < toMs; t = grid.nextAfter(t, 0)) found.push(iso(t));
  return found;
}

describe('schedules (croner, fixed clock)', () => {
  describe('DST in Europe/Paris', () => {
    const daily = parseSchedule({ cron: '30 2 * * *', timezone: 'Europe/Paris' });

    it('spring forward (2026-03-29, 02:00 -> 03:00): a fixed time in the gap runs once, at the first valid time', () => {
      assert.deepEqual(ticks(daily, at('2026-03-28T00:00:00Z'), at('2026-03-31T00:00:00Z')), [
        '2026-03-28T01:30:00.000Z', // 02:30 CET
        '2026-03-29T01:00:00.000Z', // 02:30 does not exist: 03:00 CEST, once
        '2026-03-30T00:30:00.000Z', // 02:30 CEST
      ]);
    });

    it('fall back (2026-10-25, 03:00 -> 02:00): a fixed time that occurs twice runs once', () => {
      assert.deepEqual(ticks(daily, at('2026-10-24T00:00:00Z'), at('2026-10-27T00:00:00Z')), [
        '2026-10-24T00:30:00.000Z', // 02:30 CEST
        '2026-10-25T00:30:00.000Z', // first 02:30 (CEST); the second one (01:30Z, CET) does not run
        '2026-10-26T01:30:00.000Z', // 02:30 CET
      ]);
    });

    it('an interval job (every 30 minutes) runs on real time: skipped in the gap, on both repeated hours', () => {
      const halfHourly = parseSchedule({ cron: '*/30 * * * *', timezone: 'Europe/Paris' });
      // spring: local 01:30 CET, then 03:00 CEST: the gap's 02:00 and 02:30 do not exist
      assert.deepEqual(ticks(halfHourly, at('2026-03-29T00:30:00Z'), at('2026-03-29T01:31:00Z')), [
        '2026-03-29T00:30:00.000Z',
        '2026-03-29T01:00:00.000Z',
        '2026-03-29T01:30:00.000Z',
      ]);
      // fall: every real half hour, 02:00 and 02:30 once in CEST and once in CET, never twice at one instant
      const fall = ticks(halfHourly, at('2026-10-24T23:30:00Z'), at('2026-10-25T02:01:00Z'));
      assert.deepEqual(fall, ['23:30', '00:00', '00:30', '01:00', '01:30', '02:00'].map((hm, i) => `2026-10-2${i === 0 ? 4 : 5}T${hm}:00.000Z`));
    });

    it('the same local time in another zone is another instant (timezone defaults to UTC)', () => {
      const utc = parseSchedule({ cron: '30 2 * * *' });
      assert.deepEqual(utc.spec, { cron: '30 2 * * *', timezone: 'UTC' });
      assert.equal(iso(utc.nextAfter(at('2026-03-29T00:00:00Z'), 0)!), '2026-03-29T02:30:00.000Z');
    });
  });

  it('6 fields: seconds first; the next tick is strictly after the given time', () => {
    const everyTenSeconds = parseSchedule({ cron: '*/10 * * * * *' });
    assert.equal(iso(everyTenSeconds.nextAfter(at('2026-01-01T00:00:00Z'), 0)!), '2026-01-01T00:00:10.000Z');
    assert.equal(iso(everyTenSeconds.nextAfter(at('2026-01-01T00:00:04.500Z'), 0)!), '2026-01-01T00:00:10.000Z');
    assert.equal(everyTenSeconds.countBetween(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:01:00Z'), 0), 5);
  });

  it('everyMs: a grid from the anchor; countBetween counts the points strictly between', () => {
    const grid = parseSchedule({ everyMs: 1_000, startAtMs: 10_000 });
    assert.equal(grid.nextAfter(0, 10_000), 10_000);
    assert.equal(grid.nextAfter(10_000, 10_000), 11_000);
    assert.equal(grid.nextAfter(12_500, 10_000), 13_000);
    assert.equal(grid.countBetween(10_000, 15_000, 10_000), 4); // 11, 12, 13, 14
    assert.equal(grid.countBetween(10_000, 11_000, 10_000), 0);
    assert.equal(grid.countBetween(0, 10_500, 10_000), 1); // the anchor itself
  });

  it('equal specs have equal keys, whatever the spacing or the default time zone', () => {
    assert.equal(parseSchedule({ cron: ' 0  9 * * 1 ' }).key, parseSchedule({ cron: '0 9 * * 1', timezone: 'UTC' }).key);
    assert.notEqual(parseSchedule({ everyMs: 1_000 }).key, parseSchedule({ everyMs: 1_000, startAtMs: 0 }).key);
  });

  it('bad schedules get an error naming the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /schedule must be/],
      ['* * * * *', /schedule must be/],
      [{}, /exactly one of the fields "cron" and "everyMs"/],
      [{ cron: '* * * * *', everyMs: 5 }, /exactly one of the fields "cron" and "everyMs"/],
      [{ cron: 'every minute' }, /schedule\.cron .* not a valid cron expression/],
      [{ cron: '61 * * * *' }, /schedule\.cron/],
      [{ cron: '* * * *' }, /schedule\.cron/],
      [{ cron: '* * * * * * *' }, /schedule\.cron/],
      [{ cron: '0 0 31 2 *' }, /schedule\.cron must be an expression that matches some date/],
      [{ cron: '' }, /schedule\.cron must be/],
      [{ cron: 5 }, /schedule\.cron must be/],
      [{ cron: '* * * * *', timezone: 'Mars/Olympus' }, /schedule\.timezone must be an IANA time zone/],
      [{ cron: '* * * * *', timezone: '' }, /schedule\.timezone/],
      [{ cron: '* * * * *', tz: 'UTC' }, /unknown schedule field "tz"/],
      [{ everyMs: 0 }, /schedule\.everyMs must be/],
      [{ everyMs: -5 }, /schedule\.everyMs must be/],
      [{ everyMs: Number.NaN }, /schedule\.everyMs must be/],
      [{ everyMs: Number.POSITIVE_INFINITY }, /schedule\.everyMs must be/],
      [{ everyMs: 1.5 }, /schedule\.everyMs must be/],
      [{ everyMs: '1000' }, /schedule\.everyMs must be/],
      [{ everyMs: 1_000, startAtMs: -1 }, /schedule\.startAtMs must be/],
      [{ everyMs: 1_000, startAtMs: Number.NaN }, /schedule\.startAtMs must be/],
      [{ everyMs: 1_000, timezone: 'UTC' }, /unknown schedule field "timezone"/],
    ];
    for (const [schedule, message] of cases) {
      assert.throws(() => parseSchedule(schedule), (err: Error) => err instanceof TypeError && message.test(err.message), JSON.stringify(schedule));
    }
  });
});
