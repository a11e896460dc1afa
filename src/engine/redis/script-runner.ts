import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scriptError } from '../script-errors';
import { waitAtMost } from '../single-flight';
import type { RedisPort } from './redis-port';

/**
 * Longest wait for a script's reply. node-redis times out only commands not yet written, so a stalled
 * server or a half-open connection would hold the claim loop until TCP keep-alive gives up, minutes
 * later; with this the loop logs and carries on. A script that ran but whose reply came too late is
 * safe: the leases it took expire and are reclaimed.
 */
const SCRIPT_TIMEOUT_MS = 10_000;

/**
 * Waits before each new try of a script refused with TRYAGAIN (a multi-key command during a slot
 * migration) or CLUSTERDOWN (a failover in progress): the script did not run, so trying again is safe.
 * About 5 s in all (a slot's keys move one MIGRATE at a time), then the error reaches the caller:
 * an add rejects, the claim loop tries again on its next pass.
 */
const CLUSTER_RETRY_DELAYS_MS = [50, 100, 200, 400, 800, 1_600, 2_000];

/** Errors that mean the script did not run and the cluster will soon accept it. */
export function isTransientClusterError(err: unknown): boolean {
  return err instanceof Error && /^(TRYAGAIN|CLUSTERDOWN)\b/.test(err.message);
}

async function withTimeout<T>(command: Promise<T>, what: string): Promise<T> {
  if (!(await waitAtMost(command, SCRIPT_TIMEOUT_MS))) {
    throw new Error(`redis_scheduler: no reply to ${what} within ${SCRIPT_TIMEOUT_MS} ms`);
  }
  return command;
}

/** One Lua file of `src/engine/lua`, run by SHA with the source as fallback. */
export class LuaScript {
  private readonly source: string;
  private readonly sha: string;

  constructor(private readonly file: string) {
    this.source = readFileSync(join(__dirname, '..', 'lua', file), 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  /**
   * Runs the script on the node that holds `keys[0]`: EVALSHA, then EVAL when that node has not
   * cached it (first call, restart, or a replica promoted by a failover: the cache is not
   * replicated). TRYAGAIN and CLUSTERDOWN are retried with a short backoff. A Redis error reply is
   * rethrown named after the script (script-errors.ts).
   */
  async run<T>(port: RedisPort, keys: string[], args: string[]): Promise<T> {
    // Built once (claims and acknowledgements carry hundreds of arguments); the fallback swaps the head.
    const command = ['EVALSHA', this.sha, String(keys.length), ...keys, ...args];
    for (let attempt = 0; ; attempt++) {
      try {
        // One async step per call on the common path (adds and claims go through here).
        return (await withTimeout(port.send(command, keys[0]), this.file)) as T;
      } catch (first) {
        let err = first;
        if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
          const fallback = command.slice();
          fallback[0] = 'EVAL';
          fallback[1] = this.source;
          try {
            return (await withTimeout(port.send(fallback, keys[0]), this.file)) as T;
          } catch (second) {
            err = second;
          }
        }
        if (!isTransientClusterError(err) || attempt >= CLUSTER_RETRY_DELAYS_MS.length) throw scriptError(this.file, err);
        await new Promise((resolve) => setTimeout(resolve, CLUSTER_RETRY_DELAYS_MS[attempt]));
      }
    }
  }
}
