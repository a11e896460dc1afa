import { checkDueTime, checkHandlerName, checkTaskInfo } from './validation';

/** A task of the published scheduler, read from its sorted set. */
export interface LegacyTask {
  /** The sorted-set member, `[RETRY-<n>:]<name>:<taskInfo>`. */
  member: string;
  /** Its score as Redis returned it (the due time in ms). */
  score: string;
  name: string;
  taskInfo: string;
  dueTimeMs: number;
  /** Failures so far: the `<n>` of `RETRY-<n>:`, 0 without the prefix. */
  attemptsUsed: number;
}

/** A member that cannot be moved, and why; it stays in the legacy key. */
export interface UnmovableMember {
  member: string;
  reason: string;
}

/**
 * The published scheduler writes `name:taskInfo` (names have no `:`, taskInfo may), and
 * `RETRY-<n>:name:taskInfo` after the n-th failure. It reads members with
 * /^(?:RETRY-(\d)+:)?([^:]*):(.*)$/; this reads them the same way, except that the whole `<n>` is
 * kept and a taskInfo may hold line breaks (its `.` stops at them).
 */
const MEMBER_HEAD = /^(?:RETRY-(\d+):)?([^:]*):/;

/** Reads one member and its score; returns why not when it cannot become a task of this module. */
export function parseLegacyMember(member: string, score: string, maxTaskInfoBytes: number): LegacyTask | UnmovableMember {
  const head = MEMBER_HEAD.exec(member);
  if (!head) return { member, reason: 'not "[RETRY-<n>:]<name>:<taskInfo>"' };
  const [prefix, retries, name] = head;
  const taskInfo = member.slice(prefix.length);
  const dueTimeMs = Number(score);
  const attemptsUsed = retries === undefined ? 0 : Number(retries);
  try {
    checkHandlerName(name);
    checkTaskInfo(taskInfo, maxTaskInfoBytes);
    checkDueTime(dueTimeMs);
    if (!Number.isSafeInteger(attemptsUsed)) throw new RangeError(`retry count ${retries} is too large`);
  } catch (err) {
    return { member, reason: err instanceof Error ? err.message : String(err) };
  }
  return { member, score, name, taskInfo, dueTimeMs, attemptsUsed };
}

/** Whether a parse result is a movable task. */
export function isLegacyTask(parsed: LegacyTask | UnmovableMember): parsed is LegacyTask {
  return !('reason' in parsed);
}
