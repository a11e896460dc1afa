import {
  ChannelListeners,
  ReconnectListeners,
  SubscriberStateListeners,
  type ClientFamily,
  type MessageListener,
  type RedisPort,
  type SubscriberStateListener,
} from './redis-port';

type Listener = (...args: unknown[]) => void;

/** What the adapters use of an ioredis `Redis` or `Cluster`. */
export interface IoRedisClient {
  call(command: string, ...args: string[]): Promise<unknown>;
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
  readonly status: string;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

/** An ioredis `Redis`. */
export interface IoRedisStandalone extends IoRedisClient {
  duplicate(): IoRedisStandalone;
}

/**
 * ioredis `Redis` (standalone or Sentinel). Wake-ups come on a duplicate connection; ioredis emits
 * `ready` after every reconnect and re-subscribes by itself.
 */
export class IoRedisPort implements RedisPort {
  readonly family: ClientFamily = 'ioredis';
  readonly isCluster: boolean = false;
  protected subscriber?: IoRedisClient;
  protected readonly channels = new ChannelListeners();
  protected readonly reconnects = new ReconnectListeners();
  protected readonly subscriberStates = new SubscriberStateListeners();
  /** Events that mean a connection is usable again. */
  protected readonly readyEvents: string[] = ['ready'];
  /** Events of the subscriber that mean messages may have been lost. */
  protected readonly lostEvents: string[] = ['close'];

  constructor(
    protected readonly client: IoRedisClient,
    protected readonly warn: (message: string) => void,
  ) {}

  send(args: readonly string[]): Promise<unknown> {
    return this.client.call(args[0], ...args.slice(1));
  }

  async subscribe(channel: string, listener: MessageListener): Promise<void> {
    this.channels.set(channel, listener);
    await this.subscribeOn(this.connectSubscriber(), channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
    if (this.subscriber) await this.unsubscribeOn(this.subscriber, channel);
  }

  onReconnect(listener: () => void): () => void {
    const remove = this.reconnects.add(listener);
    for (const event of this.readyEvents) this.client.on(event, listener);
    return () => {
      remove();
      for (const event of this.readyEvents) this.client.off(event, listener);
    };
  }

  onSubscriberState(listener: SubscriberStateListener): () => void {
    return this.subscriberStates.add(listener);
  }

  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    this.channels.clear();
    if (!subscriber) return;
    for (const event of this.readyEvents) subscriber.off(event, this.reconnects.emit);
    for (const event of this.readyEvents) subscriber.off(event, this.subscriberStates.back);
    for (const event of this.lostEvents) subscriber.off(event, this.subscriberStates.lost);
    if (subscriber.status === 'ready') await subscriber.quit().catch(() => subscriber.disconnect());
    else subscriber.disconnect();
  }

  protected subscribeOn(subscriber: IoRedisClient, channel: string): Promise<unknown> {
    return subscriber.subscribe(channel);
  }

  protected unsubscribeOn(subscriber: IoRedisClient, channel: string): Promise<unknown> {
    return subscriber.unsubscribe(channel);
  }

  /** A new connection of the same settings; ioredis connects it by itself. */
  protected duplicate(): IoRedisClient {
    return (this.client as IoRedisStandalone).duplicate();
  }

  /** The event that carries a subscribed message as `(channel, message)`. */
  protected readonly messageEvent: string = 'message';

  private connectSubscriber(): IoRedisClient {
    if (!this.subscriber) {
      const subscriber = this.duplicate();
      subscriber.on('error', (err) => this.warn(`subscriber connection: ${err instanceof Error ? err.message : String(err)}`));
      subscriber.on(this.messageEvent, this.channels.dispatch);
      for (const event of this.readyEvents) subscriber.on(event, this.reconnects.emit);
      for (const event of this.readyEvents) subscriber.on(event, this.subscriberStates.back);
      for (const event of this.lostEvents) subscriber.on(event, this.subscriberStates.lost);
      this.subscriber = subscriber;
    }
    return this.subscriber;
  }
}
