// Issue 12, getMetrics(): the Prometheus text parsed back; its counters match what ran.
import assert from 'node:assert/strict';
import type { TaskContext } from '../src/engine/scheduler';
import { EngineBench } from './support/engines';
import { eventually } from './support/nodes';
import { parsePrometheus, sampleValue } from './support/prometheus';

describe('operate: getMetrics', function () {
  this.timeout(30_000);
  const bench = new EngineBench();

  before(() => bench.connect());
  after(() => bench.close());

  it('counts adds and runs by outcome, lag and durations, and reads the task gauges from Redis', async () => {
    const node = bench.engine({ keyPrefix: 'test:metrics', maxRetries: 1, retryDelayMs: 0, safetyPollMs: 200, allowUnknownHandlers: true });
    const good = Array.from({ length: 40 }, (_, i) => `ok-${i}`);
    const bad = Array.from({ length: 7 }, (_, i) => `bad-${i}`);
    node.setHandler('billing', async (taskInfo: string, context: TaskContext) => {
      if (taskInfo.startsWith('bad')) throw new Error(`attempt ${context.attempt} failed`);
    });
    await node.addTasks([...good, ...bad].map((taskInfo) => ({ name: 'billing', dueTimeMs: 0, taskInfo })));
    await node.addTask('no-handler-here', Date.now() + 3_600_000, 'waits');
    await node.start();
    await eventually(async () => {
      const [billing] = (await node.getStats()).filter((s) => s.name === 'billing');
      return billing.dead === bad.length && billing.scheduled === 0 && billing.running === 0;
    }, 10_000, 'every run');

    const text = await node.getMetrics();
    const samples = parsePrometheus(text);
    const value = (name: string, labels: Record<string, string>) => sampleValue(samples, name, labels);
    assert.equal(value('redis_scheduler_tasks_added_total', { name: 'billing' }), good.length + bad.length);
    assert.equal(value('redis_scheduler_tasks_added_total', { name: 'no-handler-here' }), 1);
    assert.equal(value('redis_scheduler_task_runs_total', { name: 'billing', outcome: 'success' }), good.length);
    assert.equal(value('redis_scheduler_task_runs_total', { name: 'billing', outcome: 'retry' }), bad.length);
    assert.equal(value('redis_scheduler_task_runs_total', { name: 'billing', outcome: 'dead' }), bad.length);
    const runs = good.length + 2 * bad.length;
    assert.equal(value('redis_scheduler_task_lag_seconds_count', { name: 'billing' }), runs);
    assert.equal(value('redis_scheduler_task_lag_seconds_bucket', { name: 'billing', le: '+Inf' }), runs);
    // first runs were due at 0 (1970): lagging decades; the retries were due at once
    assert.equal(value('redis_scheduler_task_lag_seconds_bucket', { name: 'billing', le: '3600' }), bad.length);
    const buckets = samples.filter((s) => s.name === 'redis_scheduler_task_duration_seconds_bucket' && s.labels.outcome === 'success');
    assert.ok(buckets.every((s, i) => i === 0 || s.value >= buckets[i - 1].value), 'buckets are not cumulative');
    assert.ok(value('redis_scheduler_task_lag_seconds_sum', { name: 'billing' })! > 0);
    assert.equal(value('redis_scheduler_task_duration_seconds_count', { name: 'billing', outcome: 'success' }), good.length);
    assert.equal(value('redis_scheduler_task_duration_seconds_count', { name: 'billing', outcome: 'dead' }), bad.length);
    assert.equal(value('redis_scheduler_tasks', { name: 'billing', state: 'dead' }), bad.length);
    assert.equal(value('redis_scheduler_tasks', { name: 'billing', state: 'scheduled' }), 0);
    assert.equal(value('redis_scheduler_tasks', { name: 'no-handler-here', state: 'scheduled' }), 1);
    assert.equal(value('redis_scheduler_oldest_overdue_seconds', { name: 'no-handler-here' }), 0);
    // labels stay low-cardinality: never a taskInfo
    assert.ok(samples.every((s) => Object.values(s.labels).every((v) => !v.startsWith('ok-') && !v.startsWith('bad-'))));
    assert.match(text, /# TYPE redis_scheduler_task_runs_total counter/);
    assert.match(text, /# TYPE redis_scheduler_task_lag_seconds histogram/);
    assert.match(text, /# TYPE redis_scheduler_tasks gauge/);
    assert.doesNotMatch(text, /process_cpu/, 'process metrics are off by default');
  });

  it('the overdue gauge is the lag by Redis time; metrics: false leaves only the Redis gauges; processMetrics adds the process ones', async () => {
    const node = bench.engine({ keyPrefix: 'test:metrics:off', metrics: false, processMetrics: true, allowUnknownHandlers: true });
    const nowMs = await bench.redisNowMs();
    await node.addTask('late', nowMs - 30_000, 'late-by-30s');
    const samples = parsePrometheus(await node.getMetrics());
    const lagS = sampleValue(samples, 'redis_scheduler_oldest_overdue_seconds', { name: 'late' })!;
    assert.ok(lagS >= 30 && lagS < 40, `lag ${lagS} s`);
    assert.equal(sampleValue(samples, 'redis_scheduler_tasks', { name: 'late', state: 'scheduled' }), 1);
    assert.ok(!samples.some((s) => s.name.startsWith('redis_scheduler_task_runs') || s.name.startsWith('redis_scheduler_tasks_added')));
    assert.ok(samples.some((s) => s.name === 'process_cpu_user_seconds_total'));
  });
});
