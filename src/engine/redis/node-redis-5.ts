import {
  ChannelListeners,
  ReconnectListeners,
  SubscriberStateListeners,
  type ClientFamily,
  type MessageListener,
  type RedisPort,
  type SubscriberStateListener,
} from './redis-port';
import { SocketOpening } from './socket-opening';

type Listener = (...args: unknown[]) => void;

/** What the adapter uses of a node-redis 5/6 standalone client (`createClient`). */
export interface NodeRedis5Client {
  sendCommand(args: string[]): Promise<unknown>;
  duplicate(): NodeRedis5Client;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
  readonly isReady: boolean;
  readonly isOpen: boolean;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

/**
 * node-redis 5 and 6 standalone. Wake-ups come on a duplicate connection (a subscribed RESP2
 * connection takes no other command); both connections emit `ready` after every reconnect.
 */
export class NodeRedis5Port implements RedisPort {
  readonly family: ClientFamily = 'node-redis-5';
  readonly isCluster = false;
  protected subscriber?: Promise<NodeRedis5Client>;
  /** The subscriber connection itself, from its creation on (its connect() may still be pending). */
  private subscriberClient?: { connection: NodeRedis5Client; opening: SocketOpening };
  private readonly channels = new ChannelListeners();
  private readonly reconnects = new ReconnectListeners();
  private readonly subscriberStates = new SubscriberStateListeners();

  constructor(
    protected readonly client: NodeRedis5Client,
    private readonly warn: (message: string) => void,
  ) {}

  send(args: readonly string[]): Promise<unknown> {
    return this.client.sendCommand([...args]);
  }

  async subscribe(channel: string, listener: MessageListener): Promise<void> {
    this.channels.set(channel, listener);
    await (await this.connectSubscriber()).subscribe(channel, (message) => this.channels.dispatch(channel, message));
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
    if (this.subscriber) await (await this.subscriber).unsubscribe(channel);
  }

  onReconnect(listener: () => void): () => void {
    const remove = this.reconnects.add(listener);
    this.client.on('ready', listener);
    return () => {
      remove();
      this.client.off('ready', listener);
    };
  }

  onSubscriberState(listener: SubscriberStateListener): () => void {
    return this.subscriberStates.add(listener);
  }

  async close(): Promise<void> {
    const subscriber = this.subscriberClient;
    this.subscriber = undefined;
    this.subscriberClient = undefined;
    this.channels.clear();
    if (!subscriber) return;
    // Dropped even while it is still connecting (or retrying): waiting for its connect() could leave
    // a connection opened after the stop. But not while it opens a socket: node-redis would then
    // let that socket connect after all, and the connection would outlive the stop (SocketOpening).
    subscriber.connection.off('ready', this.reconnects.emit);
    await subscriber.opening.passed();
    await this.closeConnection(subscriber.connection);
  }

  /** Drops a connection the port created (its subscriber). */
  protected async closeConnection(connection: NodeRedis5Client): Promise<void> {
    // destroy(), not close(): a subscriber has no reply to wait for, and close() on a connection that
    // was just cut waits while node-redis reconnects it, leaving a connection behind.
    if (connection.isOpen) connection.destroy();
  }

  private connectSubscriber(): Promise<NodeRedis5Client> {
    this.subscriber ??= (async () => {
      const subscriber = this.client.duplicate();
      const current = { connection: subscriber, opening: new SocketOpening(subscriber) };
      this.subscriberClient = current;
      subscriber.on('error', (err) => {
        // a connection being dropped is no news
        if (this.subscriberClient !== current) return;
        this.warn(`subscriber connection: ${err instanceof Error ? err.message : String(err)}`);
        this.subscriberStates.lost();
      });
      subscriber.on('ready', () => {
        if (this.subscriberClient === current) this.subscriberStates.back();
      });
      subscriber.on('ready', this.reconnects.emit);
      await subscriber.connect();
      return subscriber;
    })();
    const pending = this.subscriber;
    pending.catch(() => {
      if (this.subscriber === pending) this.subscriber = undefined;
    });
    return pending;
  }
}
