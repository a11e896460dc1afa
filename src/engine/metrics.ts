// Prometheus metrics of one engine (issue 12), on prom-client with a registry of its own (two
// engines in one process do not mix their figures). Counters and histograms are recorded by the
// engine as it adds and runs tasks; the gauges are read from Redis at scrape time. Labels are the
// handler name and the outcome or state only, never a taskInfo.
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { HandlerStats } from '../interfaces/redis_scheduler/beta/types';
import { RUN_OUTCOMES, RunHistograms } from './run-histograms';

/** How a run ended, as `redis_scheduler_task_runs_total{outcome}` counts it. */
export type RunOutcome =
  /** The handler succeeded. */
  | 'success'
  /** The handler failed, and neither a retry nor a death could be recorded (lease lost meanwhile, or Redis error). */
  | 'failure'
  /** The handler failed; a retry is scheduled. */
  | 'retry'
  /** The handler failed on its last attempt; the task is in the dead set. */
  | 'dead'
  /** The lease was lost (expired, or the task removed) while the handler ran; its outcome was discarded. */
  | 'lease_expired'
  /** The node handed the task back (shutdown, or no handler any more) without using an attempt. */
  | 'handed_back';

/** Ends one run: call it once with its outcome. */
export type EndRun = (outcome: RunOutcome) => void;

/** What the engine reports while it works. */
export interface RunRecorder {
  tasksAdded(name: string, count: number): void;
  /** Called as a handler starts; `dueTimeMs` gives the lag. */
  runStarted(name: string, dueTimeMs: number): EndRun;
}

/** What SchedulerMetrics records. */
export interface MetricsSettings {
  /** Count adds and runs (counters and histograms). When false, only the gauges read from Redis are exported. */
  recordRuns: boolean;
  /** Add prom-client's default process metrics. */
  processMetrics: boolean;
}

const LAG_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const DURATION_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const NOTHING_RECORDED: EndRun = () => undefined;
const RUN_OUTCOME_INDEX = Object.fromEntries(RUN_OUTCOMES.map((outcome, i) => [outcome, i])) as Record<RunOutcome, number>;

export class SchedulerMetrics implements RunRecorder {
  readonly registry = new Registry();
  private readonly added?: Counter<'name'>;
  private readonly runs?: RunHistograms;
  private readonly tasks: Gauge<'name' | 'state'>;
  private readonly oldestOverdue: Gauge<'name'>;

  /** @param readStats the engine's getStats, read at each scrape for the gauges. */
  constructor(
    private readonly readStats: () => Promise<HandlerStats[]>,
    settings: MetricsSettings,
  ) {
    const registers = [this.registry];
    if (settings.recordRuns) {
      this.added = new Counter({ name: 'redis_scheduler_tasks_added_total', help: 'Tasks added (or re-added) by this node.', labelNames: ['name'], registers });
      this.runs = new RunHistograms(LAG_BUCKETS_S, DURATION_BUCKETS_S);
      for (const metric of [
        this.runs.runsCounter('redis_scheduler_task_runs_total', `Handler runs on this node, by outcome: ${RUN_OUTCOMES.join(', ')}.`),
        this.runs.lagHistogram('redis_scheduler_task_lag_seconds', "Start of a run minus its due time (this node's clock)."),
        this.runs.durationHistogram('redis_scheduler_task_duration_seconds', 'How long handlers ran, by outcome.'),
      ]) {
        // Exported by the Registry like its own metrics (it reads name, help, type and get()).
        this.registry.registerMetric(metric as unknown as Metric);
      }
    }
    this.tasks = new Gauge({
      name: 'redis_scheduler_tasks',
      help: 'Tasks in Redis by state (scheduled, running, dead), read at scrape time.',
      labelNames: ['name', 'state'],
      registers,
    });
    this.oldestOverdue = new Gauge({
      name: 'redis_scheduler_oldest_overdue_seconds',
      help: 'How late the most overdue scheduled task is, by Redis time (0 when none is overdue).',
      labelNames: ['name'],
      registers,
    });
    if (settings.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  tasksAdded(name: string, count: number): void {
    this.added?.inc({ name }, count);
  }

  runStarted(name: string, dueTimeMs: number): EndRun {
    if (!this.runs) return NOTHING_RECORDED;
    const series = this.runs.of(name);
    series.lag.observe(Math.max(0, Date.now() - dueTimeMs) / 1000);
    const startMs = performance.now();
    return (outcome) => series.duration[RUN_OUTCOME_INDEX[outcome]].observe((performance.now() - startMs) / 1000);
  }

  /** The Prometheus text exposition, gauges read from Redis now. */
  async text(): Promise<string> {
    const stats = await this.readStats();
    this.tasks.reset();
    this.oldestOverdue.reset();
    for (const stat of stats) {
      for (const state of ['scheduled', 'running', 'dead'] as const) this.tasks.set({ name: stat.name, state }, stat[state]);
      this.oldestOverdue.set({ name: stat.name }, stat.oldestOverdueMs / 1000);
    }
    return this.registry.metrics();
  }

  /** The Content-Type of {@link text} for an HTTP response. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
