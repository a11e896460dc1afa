// The per-run figures of metrics.ts, kept cheap on the hot path: each run costs one Map lookup, a
// bucket search and a few additions on plain arrays, where prom-client's Histogram.observe would
// validate and hash its labels on every call (≈ 7 µs a run here, several % of a trivial run).
// At scrape time these series are exported through prom-client's Registry like its own metrics.
import type { RunOutcome } from './metrics';

export const RUN_OUTCOMES: readonly RunOutcome[] = ['success', 'failure', 'retry', 'dead', 'lease_expired', 'handed_back'];

/** One histogram series: counts per bucket (not cumulative), their sum and count. */
class Series {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly boundsS: readonly number[]) {
    this.counts = new Float64Array(boundsS.length);
  }

  observe(valueS: number): void {
    let i = 0;
    while (i < this.boundsS.length && valueS > this.boundsS[i]) i++;
    if (i < this.counts.length) this.counts[i]++;
    this.sum += valueS;
    this.count++;
  }
}

/** The series of one handler name. */
export interface NameSeries {
  lag: Series;
  /** Indexed like RUN_OUTCOMES. */
  duration: Series[];
}

/** A sample as prom-client's Registry prints it. */
interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** What prom-client's Registry reads from a metric (see Registry.getMetricsAsString). */
export interface CollectedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: 'sum' }>;
}

/** Lag and duration series of every handler name, and the metrics that export them. */
export class RunHistograms {
  private readonly byName = new Map<string, NameSeries>();

  constructor(
    private readonly lagBoundsS: readonly number[],
    private readonly durationBoundsS: readonly number[],
  ) {}

  /** The series of `name`, created on its first run. */
  of(name: string): NameSeries {
    let series = this.byName.get(name);
    if (!series) {
      series = { lag: new Series(this.lagBoundsS), duration: RUN_OUTCOMES.map(() => new Series(this.durationBoundsS)) };
      this.byName.set(name, series);
    }
    return series;
  }

  /** redis_scheduler_task_runs_total: the counts of the duration series. */
  runsCounter(name: string, help: string): CollectedMetric {
    return this.metric(name, help, 'counter', () => this.eachDuration((labels, series) => [{ labels, value: series.count }]));
  }

  lagHistogram(name: string, help: string): CollectedMetric {
    return this.metric(name, help, 'histogram', () => [...this.byName].flatMap(([handler, s]) => histogramSamples(name, { name: handler }, s.lag, this.lagBoundsS)));
  }

  durationHistogram(name: string, help: string): CollectedMetric {
    return this.metric(name, help, 'histogram', () => this.eachDuration((labels, series) => histogramSamples(name, labels, series, this.durationBoundsS)));
  }

  /** Samples of every (name, outcome) duration series that has seen a run. */
  private eachDuration(samplesOf: (labels: Record<string, string>, series: Series) => Sample[]): Sample[] {
    return [...this.byName].flatMap(([name, s]) =>
      s.duration.flatMap((series, i) => (series.count > 0 ? samplesOf({ name, outcome: RUN_OUTCOMES[i] }, series) : [])),
    );
  }

  private metric(name: string, help: string, type: CollectedMetric['type'], values: () => Sample[]): CollectedMetric {
    return { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, values: values(), aggregator: 'sum' }) };
  }
}

function histogramSamples(name: string, labels: Record<string, string>, series: Series, boundsS: readonly number[]): Sample[] {
  let cumulative = 0;
  const samples: Sample[] = boundsS.map((le, i) => {
    cumulative += series.counts[i];
    return { metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative };
  });
  samples.push(
    { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: series.count },
    { metricName: `${name}_sum`, labels, value: series.sum },
    { metricName: `${name}_count`, labels, value: series.count },
  );
  return samples;
}
