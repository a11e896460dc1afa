import { performance } from 'node:perf_hooks';
import type { RedisPort } from './redis/redis-port';

/** How long a process trusts its own registration of a name before writing it again (see forget). */
const REGISTERED_TRUST_MS = 60_000;

/**
 * The SET of the handler names that hold tasks (read by getStats). It lives in its own slot, so it
 * is written apart from add.lua: before a name's first add in this process, and again at most once
 * a minute (a failed add then leaves a name with no tasks, never tasks under an unlisted name).
 * getStats drops the names that hold nothing (forget), so the set stays bounded by the names in use.
 */
export class NameRegistry {
  /** name -> when this process last wrote it (performance.now() ms) */
  private readonly known = new Map<string, number>();

  constructor(
    private readonly port: RedisPort,
    private readonly key: string,
  ) {}

  /** Records `name` unless this process did within the last minute (then nothing is awaited: adds call this each time). */
  register(name: string): Promise<void> | undefined {
    const at = this.known.get(name);
    if (at !== undefined && performance.now() - at < REGISTERED_TRUST_MS) return undefined;
    return this.write(name);
  }

  private async write(name: string): Promise<void> {
    await this.port.send(['SADD', this.key, name], this.key);
    if (this.known.size >= 100_000) this.known.clear();
    this.known.set(name, performance.now());
  }

  /** Every name recorded, by any node. */
  async list(): Promise<string[]> {
    const stored = (await this.port.send(['SMEMBERS', this.key], this.key)) as Iterable<unknown>;
    return Array.from(stored, String);
  }

  /**
   * Drops names that were seen holding nothing. The registry is in another slot than a name's keys, so
   * this cannot be one atomic step: each name is removed, then checked again with `isEmpty`, and put
   * back if an add came meanwhile. An add whose script runs after that check, by a process that
   * registered the name within the last minute, leaves the name unlisted until that process's next
   * add a minute later (its tasks still run: claims do not read the registry).
   */
  async forget(names: string[], isEmpty: (name: string) => Promise<boolean>): Promise<void> {
    await Promise.all(
      names.map(async (name) => {
        if (Number(await this.port.send(['SREM', this.key, name], this.key)) === 0) return;
        this.known.delete(name);
        if (!(await isEmpty(name))) await this.port.send(['SADD', this.key, name], this.key);
      }),
    );
  }
}
