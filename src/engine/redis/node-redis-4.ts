import { NodeRedis5Port, type NodeRedis5Client } from './node-redis-5';
import type { ClientFamily } from './redis-port';

/** What the adapter uses of a node-redis 4 standalone client: v5's API less close/destroy. */
export interface NodeRedis4Client extends Omit<NodeRedis5Client, 'close' | 'destroy' | 'duplicate'> {
  duplicate(): NodeRedis4Client;
  quit(): Promise<unknown>;
  disconnect(): Promise<unknown>;
}

/** node-redis 4 standalone: as 5/6, but connections end with `quit` / `disconnect`. */
export class NodeRedis4Port extends NodeRedis5Port {
  override readonly family: ClientFamily = 'node-redis-4';

  constructor(client: NodeRedis4Client, warn: (message: string) => void) {
    super(client as unknown as NodeRedis5Client, warn);
  }

  protected override async closeConnection(connection: NodeRedis5Client): Promise<void> {
    // disconnect(), not quit(): a subscriber has no reply to wait for, and QUIT on a connection that
    // was just cut is never answered (close() then never ends, and the next subscribe waits behind it).
    const v4 = connection as unknown as NodeRedis4Client;
    if (v4.isOpen) await v4.disconnect();
  }
}
