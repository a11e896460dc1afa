import type { KeySpace } from './keys';
import type { RedisPort } from './redis/redis-port';

/** Receives a wake-up message with the (name, bucket) whose channel carried it. */
export type BucketMessageListener = (message: string, name: string, bucket: number) => void;

/**
 * The wake-up channels this node listens to: one per bucket of each handled name, in that bucket's
 * slot (sharded pub/sub on a cluster, where the scripts SPUBLISH; ordinary pub/sub on a standalone
 * server). Changes are applied one at a time, in order; none rejects (a failure is logged, the
 * safety poll stands in for the lost wake-ups).
 */
export class WakeSubscriptions {
  /** name -> its channels */
  private readonly channels = new Map<string, string[]>();
  private queue: Promise<void> = Promise.resolve();
  /** Bumped by close(): a subscription under way from before it gives up. */
  private generation = 0;

  /** `ready` resolves once the bucket count is known (see bucket-layout.ts). */
  constructor(
    private readonly port: RedisPort,
    private readonly keys: KeySpace,
    private readonly ready: () => Promise<void>,
    private readonly onMessage: BucketMessageListener,
    private readonly warn: (message: string) => void,
  ) {}

  /** Listens to the channels of these names; resolves once done (or failed). */
  add(names: Iterable<string>): Promise<void> {
    const generation = this.generation;
    return this.enqueue(async () => {
      const list = [...names].filter((name) => !this.channels.has(name));
      if (list.length === 0 || generation !== this.generation) return;
      try {
        await this.ready();
      } catch (err) {
        this.warn(`could not subscribe to wake-ups (${messageOf(err)}); the safety poll stands in`);
        return;
      }
      for (const name of list) {
        // closed meanwhile: a new subscription would open a connection after the stop
        if (generation !== this.generation) return;
        if (this.channels.has(name)) continue;
        const buckets = this.keys.allBuckets(name);
        this.channels.set(
          name,
          buckets.map((keys) => keys.wake),
        );
        const results = await Promise.allSettled(
          buckets.map((keys) => this.port.subscribe(keys.wake, (message) => this.onMessage(message, name, keys.bucket))),
        );
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed && generation === this.generation) {
          this.channels.delete(name);
          this.warn(`could not subscribe to wake-ups of "${name}" (${messageOf(failed.reason)}); the safety poll stands in`);
        }
      }
    });
  }

  /** Stops listening to the channels of `name`. */
  remove(name: string): Promise<void> {
    return this.enqueue(async () => {
      const channels = this.channels.get(name);
      if (!channels) return;
      this.channels.delete(name);
      for (const channel of channels) {
        await this.port.unsubscribe(channel).catch((err: unknown) => this.warn(`unsubscribing "${name}": ${messageOf(err)}`));
      }
    });
  }

  /**
   * Stops listening to every channel and closes the pub/sub connection: at once (even while a
   * subscription is under way, which then gives up), and again once the queued changes are done.
   */
  close(): Promise<void> {
    this.generation++;
    this.channels.clear();
    const closeNow = this.port.close().catch((err: unknown) => this.warn(`closing the subscriber: ${messageOf(err)}`));
    return this.enqueue(async () => {
      await closeNow;
      this.channels.clear();
      await this.port.close().catch((err: unknown) => this.warn(`closing the subscriber: ${messageOf(err)}`));
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(step);
    return this.queue;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
