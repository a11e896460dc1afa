// Durations as operators type them: "90s", "15m", "12h", "7d", "2w", "500ms".
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds in `text`; throws naming `what` when it is not `<integer><ms|s|m|h|d|w>`. */
export function parseDuration(text: string, what: string): number {
  const match = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!match) throw new UsageError(`${what} must be a duration such as 30s, 15m, 12h or 7d, received ${JSON.stringify(text)}`);
  return Number(match[1]) * UNIT_MS[match[2]];
}

/** A mistake in the command line: the CLI prints it with a hint to --help and exits with 2. */
export class UsageError extends Error {}
