import { describeError } from './describe';
/** The full text of an error (its stack if it has one), as the dead set keeps it. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message;
  return errorMessage(err);
}

/** One line about an error, for logs; never empty (see describeError). */
export const errorMessage = describeError;

/** "a string", "an object", "an array": for error texts about a received value. */
export function withArticle(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}
