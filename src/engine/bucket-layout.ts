// The bucket count of a key prefix (docs/buckets.md): recorded in Redis at first use, checked by
// every node and producer before its first write, so all of them put a task in the same bucket.
import type { KeySpace } from './keys';
import type { RedisPort } from './redis/redis-port';
import { LuaScript } from './redis/script-runner';

/** The count "auto" records on a fresh prefix of a Redis Cluster: 12 spreads evenly over 2, 3, 4 or 6 masters. */
export const CLUSTER_DEFAULT_BUCKETS = 12;

/** A node whose `buckets` option disagrees with the count recorded for its prefix: it must not write. */
export class BucketCountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BucketCountError';
  }
}

/** Reads (and at first use records) the bucket count, then sets it on the key space. */
export class BucketLayout {
  private pending?: Promise<void>;

  constructor(
    private readonly port: RedisPort,
    private readonly keys: KeySpace,
    private readonly wanted: number | 'auto',
  ) {}

  /** Resolves once the bucket count is known; rejects with a BucketCountError on a mismatch (or a Redis error). */
  ready(): Promise<void> {
    if (this.keys.hasBuckets) return Promise.resolve();
    this.pending ??= this.read().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Reads the recorded count again (the safety poll): rejects with a BucketCountError if it changed. */
  async recheck(): Promise<void> {
    if (!this.keys.hasBuckets) return this.ready();
    const key = this.keys.bucketsKey;
    let recorded = (await this.port.send(['GET', key], key)) as string | null;
    if (recorded === null) {
      // The record is gone (a flushed or restarted server without persistence): what was written since used this count.
      await this.port.send(['SET', key, String(this.keys.buckets), 'NX'], key);
      recorded = (await this.port.send(['GET', key], key)) as string | null;
    }
    if (recorded !== String(this.keys.buckets)) {
      throw new BucketCountError(
        `redis_scheduler: the bucket count of keyPrefix "${this.keys.prefix}" changed under a running node ` +
          `(${this.keys.buckets} -> ${recorded ?? 'none'}): re-bucketing needs every node stopped; restart this node (docs/buckets.md)`,
      );
    }
  }

  private async read(): Promise<void> {
    const fresh = String(this.port.isCluster ? CLUSTER_DEFAULT_BUCKETS : 1);
    const reply = String(await BUCKET_COUNT_SCRIPT.run(this.port, [this.keys.bucketsKey, this.keys.names], [String(this.wanted), fresh]));
    const recorded = Number(reply);
    if (!/^\d+$/.test(reply)) throw new BucketCountError(this.refusal(reply));
    if (this.wanted !== 'auto' && recorded !== this.wanted) throw new BucketCountError(this.refusal(reply));
    this.keys.useBuckets(recorded);
  }

  private refusal(reply: string): string {
    const prefix = this.keys.prefix;
    const to = this.wanted === 'auto' ? '<n>' : String(this.wanted);
    const command = `npx redis-scheduler rebucket --url <redis-url> --prefix ${prefix} --buckets ${to}`;
    if (reply.startsWith('moving')) {
      return `redis_scheduler: keyPrefix "${prefix}" is being re-bucketed (${reply}); start the nodes once it has finished, or run it again if it was interrupted: ${command} (docs/buckets.md)`;
    }
    if (reply === 'unrecorded') {
      return (
        `redis_scheduler: keyPrefix "${prefix}" holds tasks of a version before buckets (laid out in 1 bucket), but this node is configured with buckets = ${to}. ` +
        `Set buckets to 1 or "auto", or stop every node and re-bucket: ${command} (docs/buckets.md)`
      );
    }
    return (
      `redis_scheduler: keyPrefix "${prefix}" is laid out in ${reply} bucket(s) (recorded in Redis at ${this.keys.bucketsKey}), but this node is configured with buckets = ${to}. ` +
      `Set buckets to ${reply} or "auto", or stop every node and re-bucket: ${command} (docs/buckets.md)`
    );
  }
}

const BUCKET_COUNT_SCRIPT = new LuaScript('bucket-count.lua');
