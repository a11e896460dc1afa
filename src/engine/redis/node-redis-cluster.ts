import {
  ChannelListeners,
  ReconnectListeners,
  type ClientFamily,
  type MessageListener,
  type RedisPort,
  type SubscriberStateListener,
} from './redis-port';

type Listener = (...args: unknown[]) => void;
type ShardedListener = (message: string, channel: string) => void;

/** What the adapter uses of a node-redis cluster (`createCluster`, node-redis 4, 5 or 6). */
export interface NodeRedisCluster {
  sendCommand(firstKey: string | undefined, isReadonly: boolean, args: string[]): Promise<unknown>;
  sSubscribe(channel: string, listener: ShardedListener): Promise<unknown>;
  sUnsubscribe(channel: string, listener: ShardedListener): Promise<unknown>;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

/** node-redis 4 clusters emit no ready event: a claim follows this long after a connection error. */
const CLAIM_AFTER_ERROR_MS = 1_000;

/**
 * node-redis cluster. Commands go by `firstKey` (for scripts it must be KEYS[1], else MOVED loops).
 * Wake-ups use sSubscribe on the application's cluster: node-redis keeps one pub/sub connection
 * per shard and subscribes again after failovers and slot moves; close() removes only this port's
 * listeners. node-redis 5/6 emit `node-ready` (never `ready`) on every reconnect; node-redis 4
 * emits only `error`, so there a claim is scheduled shortly after a connection error.
 */
export class NodeRedisClusterPort implements RedisPort {
  readonly family: ClientFamily = 'node-redis-cluster';
  readonly isCluster = true;
  private readonly channels = new ChannelListeners();
  private readonly reconnects = new ReconnectListeners();
  private readonly onMessage: ShardedListener = (message, channel) => this.channels.dispatch(channel, message);
  private errorTimer?: NodeJS.Timeout;
  private readonly onError = (): void => {
    this.errorTimer ??= setTimeout(() => {
      this.errorTimer = undefined;
      this.reconnects.emit();
    }, CLAIM_AFTER_ERROR_MS);
  };

  constructor(
    private readonly cluster: NodeRedisCluster,
    private readonly emitsNodeReady: boolean,
  ) {}

  send(args: readonly string[], firstKey?: string): Promise<unknown> {
    return this.cluster.sendCommand(firstKey, false, [...args]);
  }

  async subscribe(channel: string, listener: MessageListener): Promise<void> {
    this.channels.set(channel, listener);
    await this.cluster.sSubscribe(channel, this.onMessage);
  }

  async unsubscribe(channel: string): Promise<void> {
    if (!this.channels.has(channel)) return;
    this.channels.delete(channel);
    await this.cluster.sUnsubscribe(channel, this.onMessage);
  }

  onReconnect(listener: () => void): () => void {
    const remove = this.reconnects.add(listener);
    const event = this.emitsNodeReady ? 'node-ready' : 'error';
    const handler = this.emitsNodeReady ? listener : this.onError;
    this.cluster.on(event, handler);
    return () => {
      remove();
      this.cluster.off(event, handler);
      clearTimeout(this.errorTimer);
      this.errorTimer = undefined;
    };
  }

  onSubscriberState(listener: SubscriberStateListener): () => void {
    // Any connection error may be the sharded pub/sub connection's (node-redis 5/6 say `node-error`).
    const lost = (): void => listener(false);
    const lostEvent = this.emitsNodeReady ? 'node-error' : 'error';
    this.cluster.on(lostEvent, lost);
    const offBack = this.onReconnect(() => listener(true));
    return () => {
      this.cluster.off(lostEvent, lost);
      offBack();
    };
  }

  async close(): Promise<void> {
    const channels = this.channels.channels;
    this.channels.clear();
    await Promise.all(channels.map((channel) => this.cluster.sUnsubscribe(channel, this.onMessage)));
  }
}
