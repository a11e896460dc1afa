// How many tasks of a name fall due over the coming slices of time (for the dashboard's chart):
// one read-only script, a ZCOUNT per slice, by Redis time.
import type { OperatorContext } from './operator-scripts';
import { LuaScript } from './redis/script-runner';
import { checkHandlerName } from './validation';

/** Options of {@link getDueForecast}. */
export interface DueForecastOptions {
  /** Number of slices, 1 to 1,000. Default 12. */
  buckets?: number;
  /** Length of one slice (ms), 1 to 86,400,000. Default 300,000 (5 min: 12 slices make the next hour). */
  bucketMs?: number;
}

/** What {@link getDueForecast} returns. */
export interface DueForecast {
  /** Redis time of the reading (Unix ms). */
  nowMs: number;
  bucketMs: number;
  /** `counts[i]`: tasks due in (nowMs + i × bucketMs, nowMs + (i + 1) × bucketMs]; overdue tasks are in none. */
  counts: number[];
}

const script = new LuaScript('due-histogram.lua');

/**
 * The tasks of `name` due in each of the next `buckets` slices of `bucketMs`, in O(buckets × log n)
 * per key bucket of the name.
 * @throws TypeError / RangeError naming the field on bad input.
 */
export async function getDueForecast(ctx: OperatorContext, name: string, options: DueForecastOptions = {}): Promise<DueForecast> {
  checkHandlerName(name);
  if (options === null || typeof options !== 'object') throw new TypeError('redis_scheduler: getDueForecast options must be an object { buckets?, bucketMs? }');
  const { buckets = 12, bucketMs = 300_000 } = options;
  if (!Number.isSafeInteger(buckets) || buckets < 1 || buckets > 1_000) {
    throw new RangeError(`redis_scheduler: getDueForecast buckets must be an integer from 1 to 1000, received ${String(buckets)}`);
  }
  if (!Number.isSafeInteger(bucketMs) || bucketMs < 1 || bucketMs > 86_400_000) {
    throw new RangeError(`redis_scheduler: getDueForecast bucketMs must be an integer from 1 to 86400000, received ${String(bucketMs)}`);
  }
  await ctx.ready('getDueForecast');
  const args = [String(buckets), String(bucketMs)];
  // One reading per bucket of the name's keys (see keys.ts), summed slice by slice.
  const readings = await Promise.all(ctx.keys.allBuckets(name).map((keys) => script.run<unknown[]>(ctx.port, [keys.due], args)));
  const counts = new Array<number>(buckets).fill(0);
  for (const [, ...slices] of readings) slices.forEach((count, i) => (counts[i] += Number(count)));
  return { nowMs: Number(readings[0][0]), bucketMs, counts };
}
