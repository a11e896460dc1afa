// The oracle: what must hold of a history once every node is quiet.
import type { Op } from './ops';
import type { LogRecord, RunRecord } from './history-nodes';

/** An operation as it was carried out. */
export interface OpRecord {
  op: Op;
  invokedAt: number;
  resolvedAt: number;
  /** the due time each added task got (Redis time), for add and addTasks */
  added?: Array<{ task: string; dueTimeMs: number }>;
  /** removeTask's answer; undefined when it is unknown (a reply was lost to a killed connection) */
  removed?: boolean;
  /** the call failed even after retries: its effect is unknown */
  failed?: boolean;
}

/** What Redis and the nodes show at quiescence. */
export interface FinalState {
  dead: Map<string, { attempts: number; diedAtMs: number }>;
  stats: { scheduled: number; running: number; dead: number };
  /** keys of the prefix other than names, dead and dead-info */
  strayKeys: string[];
  /** timers or connections left by stopped nodes */
  leftovers: string[];
}

const LEASE_LOST = /lease expired|handed back/;
/** What an engine logs when a run's outcome was refused because its lease had been lost (a stall). */
const OUTCOME_REFUSED = /refused: lease lost|could not acknowledge|lease was lost|lease was lost or handed back|lease on a task/;

/** Every violation found; empty when the history is correct. */
export function checkHistory(ops: OpRecord[], runs: RunRecord[], logs: LogRecord[], final: FinalState, maxAttempts: number): string[] {
  const violations: string[] = [...final.leftovers];
  if (final.strayKeys.length > 0) violations.push(`keys left for ended tasks: ${final.strayKeys.join(', ')}`);
  if (final.stats.scheduled !== 0 || final.stats.running !== 0 || final.stats.dead !== final.dead.size) {
    violations.push(`getStats ${JSON.stringify(final.stats)} at quiescence, expected 0 scheduled, 0 running, ${final.dead.size} dead`);
  }
  const tasks = new Set([...runs.map((r) => r.task), ...ops.flatMap((o) => o.added?.map((a) => a.task) ?? [])]);
  for (const task of tasks) {
    const taskRuns = runs.filter((r) => r.task === task).sort((a, b) => a.startAt - b.startAt);
    violations.push(...checkRuns(task, taskRuns, logs), ...checkRemovals(task, ops, taskRuns), ...checkFinalLife(task, ops, taskRuns, logs, final, maxAttempts));
  }
  return violations;
}

/**
 * No overlap unless the earlier run's lease was lost: it saw its signal, or (when it ended before
 * its node could learn it, all nodes of this process having stalled together) its outcome was refused.
 */
function checkRuns(task: string, runs: RunRecord[], logs: LogRecord[]): string[] {
  const violations: string[] = [];
  for (const [i, run] of runs.entries()) {
    if (!(run.startRedisMs >= run.dueTimeMs)) violations.push(`${task}: run started at ${run.startRedisMs}, before its due time ${run.dueTimeMs}`);
    for (const later of runs.slice(i + 1)) {
      if (later.startAt >= (run.endAt ?? Infinity)) continue;
      if (run.signalReason && LEASE_LOST.test(run.signalReason)) continue;
      if (logs.some((l) => l.incarnation === run.incarnation && l.at >= run.startAt && OUTCOME_REFUSED.test(l.text))) continue;
      violations.push(`${task}: attempt ${later.attempt} on ${later.incarnation} started while attempt ${run.attempt} on ${run.incarnation} ran (${describeRun(run)})`);
    }
  }
  return violations;
}

/**
 * After removeTask resolved true, no run starts until the task is added again, unless it was
 * claimed just before the removal and sees its signal (the holder learns by pub/sub).
 */
function checkRemovals(task: string, ops: OpRecord[], runs: RunRecord[]): string[] {
  const violations: string[] = [];
  for (const [i, record] of ops.entries()) {
    if (record.op.kind !== 'remove' || `t${record.op.task}` !== task || record.removed !== true) continue;
    const nextAdd = ops.slice(i + 1).find((o) => o.added?.some((a) => a.task === task));
    const until = nextAdd?.invokedAt ?? Infinity;
    for (const run of runs) {
      if (run.startAt > record.resolvedAt && run.startAt < until && !/removed/.test(run.signalReason ?? '')) violations.push(`${task}: attempt ${run.attempt} started after removeTask resolved true`);
    }
  }
  return violations;
}

/**
 * The life begun by the last add, if the task was not removed after it: attempts 1, 2, … (a failure
 * uses one, a hand-back none), under the requested due time, ending once: in success, or in the
 * dead set after exactly maxAttempts attempts.
 */
function checkFinalLife(task: string, ops: OpRecord[], runs: RunRecord[], logs: LogRecord[], final: FinalState, maxAttempts: number): string[] {
  const touching = ops.filter((o) => o.added?.some((a) => a.task === task) || (o.op.kind === 'remove' && `t${o.op.task}` === task));
  const last = touching.at(-1);
  if (!last?.added || last.failed) return [];
  const dueTimeMs = last.added.filter((a) => a.task === task).at(-1)!.dueTimeMs;
  const first = runs.find((r) => r.dueTimeMs === dueTimeMs && r.startAt >= last.invokedAt);
  if (!first) return [`${task}: added for ${dueTimeMs} and never removed, yet it never ran under that due time (runs: ${runs.map(describeRun).join('; ')})`];
  const life = runs.filter((r) => r.startAt >= first.startAt);
  const violations: string[] = [];
  // A claim whose node crashed (or lost its connection) before the handler started uses an attempt unseen.
  const unseenClaim = ops.some((o) => ['crash', 'kill'].includes(o.op.kind) && o.resolvedAt >= last.invokedAt && o.invokedAt <= first.startAt);
  if (first.attempt !== 1 && !unseenClaim) violations.push(`${task}: its first run after the re-add was attempt ${first.attempt}, not 1`);
  for (let i = 1; i < life.length; i++) {
    const step = life[i].attempt - life[i - 1].attempt;
    if (step < 0 || step > 1 || (life[i - 1].outcome === 'fail' && step !== 1)) {
      violations.push(`${task}: attempts went ${life[i - 1].attempt} (${life[i - 1].outcome}) -> ${life[i].attempt}`);
    }
  }
  const end = life.at(-1)!;
  const dead = final.dead.get(task);
  if (dead && dead.diedAtMs >= first.startRedisMs) {
    // The last attempt may be such an unseen claim too: its lease then expires, and the task dies.
    const lastClaimUnseen = ops.some((o) => ['crash', 'kill'].includes(o.op.kind) && o.resolvedAt >= end.startAt);
    if (dead.attempts !== maxAttempts || (end.attempt !== maxAttempts && !lastClaimUnseen)) {
      violations.push(`${task}: dead after ${dead.attempts} attempts (last run: attempt ${end.attempt}), expected exactly ${maxAttempts}`);
    }
  } else if (end.outcome !== 'ok') {
    violations.push(`${task}: its last run ended "${end.outcome}", yet it is neither dead nor scheduled`);
  }
  const successes = life.filter((r) => r.outcome === 'ok');
  for (const early of successes.slice(0, -1)) {
    if (!disrupted(early, ops, logs, life)) violations.push(`${task}: ran again after attempt ${early.attempt} succeeded on ${early.incarnation}`);
  }
  return violations;
}

/**
 * A success may be run again only if its lease was lost before it was acknowledged (the node
 * stalled: the engine then logs the refused acknowledgement), or its node crashed, stopped or lost
 * a connection meanwhile.
 */
function disrupted(run: RunRecord, ops: OpRecord[], logs: LogRecord[], life: RunRecord[]): boolean {
  if (run.signalReason && LEASE_LOST.test(run.signalReason)) return true;
  const next = life.find((r) => r.startAt > run.startAt);
  const until = next?.startAt ?? Infinity;
  if (logs.some((l) => l.incarnation === run.incarnation && l.at >= run.startAt && OUTCOME_REFUSED.test(l.text))) return true;
  return ops.some(
    (o) => 'node' in o.op && o.op.node === run.node && ['crash', 'stop', 'kill'].includes(o.op.kind) && o.resolvedAt >= run.startAt && o.invokedAt <= until,
  );
}

function describeRun(run: RunRecord): string {
  return `attempt ${run.attempt} on ${run.incarnation}: ${run.outcome ?? 'running'}${run.signalReason ? `, signal "${run.signalReason}"` : ''}`;
}
