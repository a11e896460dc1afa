// Runs one generated sequence against a real Redis: every node starts, the operations run in
// order, then every node starts again and the history is checked once all is quiet.
import { KeySpace } from '../../src/engine/keys';
import type { RedisClient } from '../support/redis-client';
import { HANDLER_NAME, HistoryNodes, NODE_OPTIONS, historyBuckets, redisNowMs, type LogRecord, type RunRecord } from './history-nodes';
import { checkHistory, type FinalState, type OpRecord } from './oracle';
import type { AddSpec, Op } from './ops';

/** Longest wait for quiet after the last operation: past it, the history fails (something wedged). */
const QUIESCE_TIMEOUT_MS = 20_000;
const CALL_ATTEMPTS = 3;

/** What one sequence did. */
export interface SequenceResult {
  violations: string[];
  runs: number;
}

/** Runs `ops` with the nodes of `keyPrefix` (its keys are deleted first). */
export async function runSequence(admin: RedisClient, keyPrefix: string, ops: Op[]): Promise<SequenceResult> {
  await deleteKeys(admin, keyPrefix);
  const nodes = new HistoryNodes(keyPrefix, admin);
  const records: OpRecord[] = [];
  const usedDueTimes = new Map<string, Set<number>>();
  let stopped = false;
  try {
    await nodes.startAll();
    for (const op of ops) records.push(await apply(op));
    await nodes.startAll();
    const quiet = await quiesce(nodes, admin, keyPrefix);
    const final = await finalState(nodes, admin, keyPrefix);
    stopped = true;
    const maxAttempts = NODE_OPTIONS.maxRetries! + 1;
    const violations = checkHistory(records, nodes.runs, nodes.logs, final, maxAttempts);
    if (!quiet) violations.unshift(`not quiet ${QUIESCE_TIMEOUT_MS} ms after the last operation`);
    if (violations.length > 0) violations.push(`history: ${describeHistory(records, nodes.runs, nodes.logs)}`);
    return { violations, runs: nodes.runs.length };
  } finally {
    if (!stopped) await nodes.stopAll().catch(() => undefined);
  }

  async function apply(op: Op): Promise<OpRecord> {
    const record: OpRecord = { op, invokedAt: performance.now(), resolvedAt: NaN };
    switch (op.kind) {
      case 'add':
      case 'addTasks': {
        const specs = op.kind === 'add' ? [op] : op.tasks;
        const nowMs = Math.floor(await redisNowMs(admin));
        record.added = specs.map((spec) => ({ task: `t${spec.task}`, dueTimeMs: uniqueDueTime(spec, nowMs) }));
        for (const spec of specs) nodes.plans.set(`t${spec.task}`, spec.plan);
        const tasks = record.added.map((a) => ({ name: HANDLER_NAME, dueTimeMs: a.dueTimeMs, taskInfo: a.task }));
        record.invokedAt = performance.now();
        record.failed = !(await retried(async () => (await nodes.node(op.node)).addTasks(tasks)));
        break;
      }
      case 'remove': {
        let answers = 0;
        record.failed = !(await retried(async () => {
          answers++;
          record.removed = (await (await nodes.node(op.node)).removeTask(HANDLER_NAME, `t${op.task}`)) || (answers > 1 ? undefined : false);
        }));
        break;
      }
      case 'stop':
        nodes.stop(op.node);
        break;
      case 'start':
        nodes.start(op.node);
        break;
      case 'crash':
        await nodes.crash(op.node);
        break;
      case 'kill':
        await nodes.kill(op.node, op.connection);
        break;
      case 'wait':
        await new Promise((resolve) => setTimeout(resolve, op.ms));
        break;
    }
    record.resolvedAt = performance.now();
    return record;
  }

  /** Due times are unique per task, so that each run tells which add it belongs to. */
  function uniqueDueTime(spec: AddSpec, nowMs: number): number {
    const used = usedDueTimes.get(`t${spec.task}`) ?? new Set<number>();
    usedDueTimes.set(`t${spec.task}`, used);
    let dueTimeMs = nowMs + spec.dueInMs;
    while (used.has(dueTimeMs)) dueTimeMs++;
    used.add(dueTimeMs);
    return dueTimeMs;
  }
}

/** A call whose connection may be killed under it: tried again a few times (adds and removes are idempotent). */
async function retried(call: () => Promise<void>): Promise<boolean> {
  for (let attempt = 1; attempt <= CALL_ATTEMPTS; attempt++) {
    try {
      await call();
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  }
  return false;
}

/** Quiet: no handler runs and Redis has nothing due or leased, twice in a row. */
async function quiesce(nodes: HistoryNodes, admin: RedisClient, keyPrefix: string): Promise<boolean> {
  const buckets = new KeySpace(keyPrefix, historyBuckets()).allBuckets(HANDLER_NAME);
  const deadline = performance.now() + QUIESCE_TIMEOUT_MS;
  let quietChecks = 0;
  while (performance.now() < deadline) {
    let pending = 0;
    for (const keys of buckets) pending += Number(await admin.zCard(keys.due)) + Number(await admin.zCard(keys.lease));
    quietChecks = pending === 0 && !nodes.busy ? quietChecks + 1 : 0;
    if (quietChecks >= 2) return true;
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  return false;
}

async function finalState(nodes: HistoryNodes, admin: RedisClient, keyPrefix: string): Promise<FinalState> {
  const keySpace = new KeySpace(keyPrefix);
  const keys = keySpace.forHandler(HANDLER_NAME);
  const stats = (await (await nodes.node(0)).getStats()).find((s) => s.name === HANDLER_NAME) ?? { scheduled: 0, running: 0, dead: 0 };
  const deadTasks = await (await nodes.node(0)).getDeadTasks(HANDLER_NAME, 1_000);
  const leftovers = await nodes.stopAll();
  const allowed = new Set([keySpace.names, keySpace.bucketsKey, keys.dead, keys.deadInfo]);
  const strayKeys = (await keysOf(admin, keyPrefix)).filter((key) => !allowed.has(key));
  return {
    dead: new Map(deadTasks.map((d) => [d.taskInfo, { attempts: d.attempts, diedAtMs: d.diedAtMs }])),
    stats: { scheduled: stats.scheduled, running: stats.running, dead: stats.dead },
    strayKeys,
    leftovers,
  };
}

async function keysOf(admin: RedisClient, keyPrefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const page of admin.scanIterator({ MATCH: `{${keyPrefix}}:*`, COUNT: 1000 })) found.push(...page.map(String));
  return found;
}

async function deleteKeys(admin: RedisClient, keyPrefix: string): Promise<void> {
  const keys = await keysOf(admin, keyPrefix);
  if (keys.length > 0) await admin.del(keys);
}

/** The operations and runs in time order, for a failure report. */
function describeHistory(records: OpRecord[], runs: RunRecord[], logs: LogRecord[]): string {
  const t0 = records[0]?.invokedAt ?? 0;
  const lines = [
    ...records.map((r) => ({ at: r.invokedAt, text: `op ${JSON.stringify(r.op)}${r.added ? ` due ${JSON.stringify(r.added)}` : ''}${r.removed !== undefined ? ` -> ${r.removed}` : ''} (until +${(r.resolvedAt - t0).toFixed(0)})` })),
    ...runs.map((r) => ({
      at: r.startAt,
      text: `run ${r.task} attempt ${r.attempt} due ${r.dueTimeMs} on ${r.incarnation} at redis ${r.startRedisMs.toFixed(1)}: ${r.outcome} until +${((r.endAt ?? NaN) - t0).toFixed(0)}${r.signalReason ? ` signal "${r.signalReason}" at +${(r.signalAt! - t0).toFixed(0)}` : ''}`,
    })),
    ...logs.map((l) => ({ at: l.at, text: `log ${l.incarnation}: ${l.text.slice(0, 200)}` })),
  ].sort((a, b) => a.at - b.at);
  return lines.map((l) => `\n    +${(l.at - t0).toFixed(0)} ${l.text}`).join('');
}
