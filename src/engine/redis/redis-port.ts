/** The client families the engine accepts (see detect-client.ts). */
export type ClientFamily = 'node-redis-4' | 'node-redis-5' | 'node-redis-cluster' | 'ioredis' | 'ioredis-cluster';

/** Receives the payload of a pub/sub message. */
export type MessageListener = (message: string) => void;

/** Receives the pub/sub connection's state: false when it dropped, true when it is ready again. */
export type SubscriberStateListener = (connected: boolean) => void;

/**
 * The narrow view of Redis the engine uses, whatever client the application handed over.
 * One adapter per client family implements it; nothing past the adapters knows the client's API.
 */
export interface RedisPort {
  readonly family: ClientFamily;
  /** True on Redis Cluster: wake-ups then use sharded pub/sub (SPUBLISH / SSUBSCRIBE, Redis >= 7). */
  readonly isCluster: boolean;
  /**
   * Sends one command. On a cluster it goes to the master of `firstKey`'s slot (MOVED and ASK are
   * followed by the client); without `firstKey`, to any node.
   */
  send(args: readonly string[], firstKey?: string): Promise<unknown>;
  /** Subscribes to a wake-up channel (sharded on a cluster) on a connection the port creates. */
  subscribe(channel: string, listener: MessageListener): Promise<void>;
  /** Stops listening to a channel. */
  unsubscribe(channel: string): Promise<void>;
  /**
   * Calls `listener` each time a connection (commands or pub/sub) is ready again after a
   * reconnect or a failover; returns the function that removes it.
   */
  onReconnect(listener: () => void): () => void;
  /**
   * Calls `listener(false)` when the pub/sub connection drops (what is published until it is back
   * is lost) and `listener(true)` when it is ready again; returns the function that removes it.
   * Optional: without it, a removal notice lost that way reaches the holder at its next renewal.
   */
  onSubscriberState?(listener: SubscriberStateListener): () => void;
  /** Closes what the port created (its pub/sub connection); never the application's client. */
  close(): Promise<void>;
}

/** The publish command add.lua runs: sharded on a cluster, so the message stays in the keys' shard. */
export function publishCommandOf(port: RedisPort): 'PUBLISH' | 'SPUBLISH' {
  return port.isCluster ? 'SPUBLISH' : 'PUBLISH';
}

/** Set of reconnect listeners shared by the adapters. */
export class ReconnectListeners {
  private readonly listeners = new Set<() => void>();

  add(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Bound: pass it straight to a client's event emitter. */
  readonly emit = (): void => {
    for (const listener of this.listeners) listener();
  };
}

/** Set of subscriber-state listeners shared by the adapters; `lost` and `back` are bound, for event emitters. */
export class SubscriberStateListeners {
  private readonly listeners = new Set<SubscriberStateListener>();

  add(listener: SubscriberStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  readonly lost = (): void => this.emit(false);
  readonly back = (): void => this.emit(true);

  private emit(connected: boolean): void {
    for (const listener of this.listeners) listener(connected);
  }
}

/** Routes pub/sub messages of the channels subscribed through a port to their listener. */
export class ChannelListeners {
  private readonly byChannel = new Map<string, MessageListener>();

  get channels(): string[] {
    return [...this.byChannel.keys()];
  }

  has(channel: string): boolean {
    return this.byChannel.has(channel);
  }

  set(channel: string, listener: MessageListener): void {
    this.byChannel.set(channel, listener);
  }

  delete(channel: string): void {
    this.byChannel.delete(channel);
  }

  clear(): void {
    this.byChannel.clear();
  }

  /** Bound: `(channel, message)` as ioredis emits it. */
  readonly dispatch = (channel: unknown, message: unknown): void => {
    this.byChannel.get(String(channel))?.(String(message));
  };
}
