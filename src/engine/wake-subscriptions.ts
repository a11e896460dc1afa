import type { KeySpace } from './keys';
import type { MessageListener, RedisPort } from './redis/redis-port';

/**
 * The wake-up channels this node listens to: one per handled name, in that name's slot (sharded
 * pub/sub on a cluster, where add.lua SPUBLISHes; ordinary pub/sub on a standalone server).
 * Changes are applied one at a time, in order; none rejects (a failure is logged, the safety poll
 * stands in for the lost wake-ups).
 */
export class WakeSubscriptions {
  private readonly names = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly port: RedisPort,
    private readonly keys: KeySpace,
    private readonly onMessage: MessageListener,
    private readonly warn: (message: string) => void,
  ) {}

  /** Listens to the channels of these names; resolves once done (or failed). */
  add(names: Iterable<string>): Promise<void> {
    return this.enqueue(async () => {
      for (const name of names) {
        if (this.names.has(name)) continue;
        this.names.add(name);
        try {
          await this.port.subscribe(this.keys.wakeChannel(name), this.onMessage);
        } catch (err) {
          this.names.delete(name);
          this.warn(`could not subscribe to wake-ups of "${name}" (${messageOf(err)}); the safety poll stands in`);
        }
      }
    });
  }

  /** Stops listening to the channel of `name`. */
  remove(name: string): Promise<void> {
    return this.enqueue(async () => {
      if (!this.names.delete(name)) return;
      await this.port.unsubscribe(this.keys.wakeChannel(name)).catch((err: unknown) => this.warn(`unsubscribing "${name}": ${messageOf(err)}`));
    });
  }

  /** Stops listening to every channel and closes the pub/sub connection. */
  close(): Promise<void> {
    return this.enqueue(async () => {
      this.names.clear();
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
