import type { RedisPort } from './redis/redis-port';

/**
 * The SET of every handler name that has had a task (read by getStats). It lives in its own slot,
 * so it is written apart from add.lua: once per name and process, before that name's first add
 * (a failed add then leaves a name with no tasks, never tasks under an unlisted name).
 */
export class NameRegistry {
  private readonly known = new Set<string>();

  constructor(
    private readonly port: RedisPort,
    private readonly key: string,
  ) {}

  /** Records `name` unless this process already did. */
  async register(name: string): Promise<void> {
    if (this.known.has(name)) return;
    await this.port.send(['SADD', this.key, name], this.key);
    this.known.add(name);
  }

  /** Every name recorded, by any node. */
  async list(): Promise<string[]> {
    const stored = (await this.port.send(['SMEMBERS', this.key], this.key)) as Iterable<unknown>;
    return Array.from(stored, String);
  }
}
