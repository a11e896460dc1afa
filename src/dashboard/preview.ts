// What the page gets of long strings: the first characters, the full length, and (for a taskInfo)
// a ref to fetch or act on the whole (see task-refs.ts).
import type { TaskRefs } from './task-refs';

/** A taskInfo as the JSON API sends it. */
export interface TaskInfoPreview {
  /** The whole taskInfo, or its first `previewChars` characters when `truncated`. */
  taskInfo: string;
  /** Length of the whole taskInfo (UTF-16 code units, as JavaScript counts). */
  length: number;
  truncated: boolean;
  /** Present when truncated: names the task in actions and in `api/task-info?ref=`. */
  ref?: string;
}

/** At most `maxChars` of `text`, never splitting a surrogate pair. */
export function cut(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const end = /[\uD800-\uDBFF]/.test(text[maxChars - 1]) ? maxChars - 1 : maxChars;
  return text.slice(0, end);
}

export function previewTaskInfo(refs: TaskRefs, name: string, taskInfo: string, previewChars: number): TaskInfoPreview {
  if (taskInfo.length <= previewChars) return { taskInfo, length: taskInfo.length, truncated: false };
  return { taskInfo: cut(taskInfo, previewChars), length: taskInfo.length, truncated: true, ref: refs.remember(name, taskInfo) };
}
