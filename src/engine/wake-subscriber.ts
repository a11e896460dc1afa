import type { SchedulerLogger } from './logger';
import type { RedisClient } from './scripts';
import { errorMessage } from './errors';

/** What the subscriber tells the node. */
export interface WakeListener {
  /** A message on the wake-up channel. */
  onMessage(message: string): void;
  /** The connection is (again) ready: messages may have been lost, claim at once. */
  onReady(): void;
}

/** The pub/sub connection that carries wake-ups and removals (a duplicate of the command client). */
export class WakeSubscriber {
  private subscriber?: RedisClient;

  constructor(
    private readonly client: RedisClient,
    private readonly channel: string,
    private readonly log: SchedulerLogger,
    private readonly listener: WakeListener,
  ) {}

  /** Opens the connection and subscribes; on failure logs, and the safety poll stands in. */
  async open(): Promise<void> {
    const subscriber = this.client.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', (err: unknown) => this.log.warn('subscriber connection:', errorMessage(err)));
    subscriber.on('ready', this.onReady);
    try {
      await subscriber.connect();
      if (this.subscriber !== subscriber) return; // closed meanwhile
      await subscriber.subscribe(this.channel, (message: string) => this.listener.onMessage(message));
    } catch (err) {
      if (this.subscriber === subscriber) this.log.warn(`could not subscribe to wake-ups (${errorMessage(err)}); the safety poll stands in`);
    }
  }

  /** Closes the connection, whatever state it is in. */
  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (!subscriber) return;
    subscriber.off('ready', this.onReady);
    // destroy(), not close(): a subscriber has no reply to wait for, and close() on a connection that
    // was just cut waits while node-redis reconnects it, leaving a connection behind.
    try {
      if (subscriber.isOpen) subscriber.destroy();
    } catch (err) {
      this.log.debug('closing the subscriber:', errorMessage(err));
    }
  }

  private readonly onReady = (): void => this.listener.onReady();
}
