// Which node holds a running task, read from its claim: "<nodeId>:<claim call>/<rank>|<dueTimeMs>"
// (claim-loop.ts makes the token, claim.lua appends the rank and the due time).

/** The id of the engine instance that holds a claim (random per RedisScheduler), or undefined if unreadable. */
export function holderOf(claim: string | null | undefined): string | undefined {
  if (!claim) return undefined;
  const bare = claim.startsWith('+') || claim.startsWith('!') ? claim.slice(1) : claim;
  const colon = bare.indexOf(':');
  return colon > 0 ? bare.slice(0, colon) : undefined;
}
