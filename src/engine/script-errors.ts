import { aclRuleFor } from './acl-rule';

/** A Redis error reply to one of the scheduler's scripts, named after the script. */
export class ScriptError extends Error {
  constructor(
    message: string,
    /** The Lua file that failed, e.g. `add.lua`. */
    readonly script: string,
    /** Redis ACL refused a command, key or channel of the script. */
    readonly aclDenied: boolean,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'ScriptError';
  }
}

// Redis 7.0 inside a script: "The user executing the script can't run this command or subcommand";
// 7.2+ and outside scripts: "NOPERM ... no permissions to run the 'x' command" (or access a key or channel).
const ACL_DENIAL = /\bNOPERM\b|can't run this command|can't access at least one of the (keys|channels)|can't publish to the channel|no permissions to/i;

// An error reply starts with its code in capitals (ERR, NOPERM, WRONGTYPE, OOM, BUSY, ...).
const ERROR_REPLY = /^[A-Z][A-Z_-]+ /;

/**
 * Wraps a Redis error reply to `script` with the script's name and, for an ACL denial, where to look:
 * `ACL LOG` names the refused command, docs/security.md gives the rule. Other errors (timeouts, closed
 * connections) are returned unchanged.
 */
export function scriptError(script: string, err: unknown): unknown {
  if (!(err instanceof Error) || !ERROR_REPLY.test(err.message)) return err;
  if (!ACL_DENIAL.test(err.message)) return new ScriptError(`redis_scheduler: ${script} failed: ${err.message}`, script, false, { cause: err });
  return new ScriptError(
    `redis_scheduler: Redis ACL refused a command of ${script}: ${err.message}. ` +
      `Run ACL LOG on the server to see which command, key or channel; the scheduler's user needs the rule ` +
      `"${aclRuleFor('<keyPrefix>')}" (docs/security.md).`,
    script,
    true,
    { cause: err },
  );
}
