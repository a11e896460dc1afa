import { withArticle } from './errors';
/** Longest handler name, in UTF-8 bytes (it is part of Redis key names). */
export const MAX_NAME_BYTES = 1024;
/** Latest due time a JavaScript Date can hold (Unix ms). */
const MAX_DUE_TIME_MS = 8.64e15;

function describe(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  if (value instanceof Date) return 'a Date';
  return Array.isArray(value) ? 'an array' : withArticle(typeof value);
}

/** Throws unless `name` is a usable handler name: a non-empty, well-formed string of at most 1 KiB. */
export function checkHandlerName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`redis_scheduler: handler name must be a non-empty string, received ${describe(name)}`);
  }
  if (!name.isWellFormed()) {
    throw new TypeError('redis_scheduler: handler name contains a lone UTF-16 surrogate and cannot be stored exactly');
  }
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    throw new RangeError(`redis_scheduler: handler name must be at most ${MAX_NAME_BYTES} bytes`);
  }
}

/** Throws unless `handler` is a function. */
export function checkHandler(handler: unknown): asserts handler is (...args: never[]) => unknown {
  if (typeof handler !== 'function') {
    throw new TypeError(`redis_scheduler: handler must be a function, received ${describe(handler)}`);
  }
}

/** Throws unless `dueTimeMs` is a finite Unix time in ms (a number, not a Date). */
export function checkDueTime(dueTimeMs: unknown): asserts dueTimeMs is number {
  if (typeof dueTimeMs !== 'number' || !Number.isFinite(dueTimeMs)) {
    const hint = dueTimeMs instanceof Date ? ' (pass date.getTime())' : '';
    throw new TypeError(`redis_scheduler: dueTime must be a finite number of Unix ms, received ${describe(dueTimeMs)}${hint}`);
  }
  if (dueTimeMs < 0 || dueTimeMs > MAX_DUE_TIME_MS) {
    throw new RangeError(`redis_scheduler: dueTime must be a Unix time in ms from 0 to ${MAX_DUE_TIME_MS}, received ${dueTimeMs}`);
  }
}

/** Throws unless `taskInfo` is a well-formed string of at most `maxBytes` UTF-8 bytes. */
export function checkTaskInfo(taskInfo: unknown, maxBytes: number): asserts taskInfo is string {
  if (typeof taskInfo !== 'string') {
    throw new TypeError(`redis_scheduler: taskInfo must be a string, received ${describe(taskInfo)}`);
  }
  if (!taskInfo.isWellFormed()) {
    throw new TypeError('redis_scheduler: taskInfo contains a lone UTF-16 surrogate and cannot be stored exactly');
  }
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: short strings need no count.
  if (taskInfo.length * 3 <= maxBytes) return;
  const bytes = Buffer.byteLength(taskInfo, 'utf8');
  if (bytes > maxBytes) {
    throw new RangeError(`redis_scheduler: taskInfo is ${bytes} bytes, more than maxTaskInfoBytes (${maxBytes})`);
  }
}
