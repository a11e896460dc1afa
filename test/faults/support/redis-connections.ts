// The connections the scheduler nodes hold on a redis-server, from CLIENT LIST, and ways to drop them.
import type { RedisClient } from '../../support/redis-client';

/** One line of CLIENT LIST. */
export interface RedisConnection {
  id: string;
  name: string;
  /** The connection is subscribed to a channel (the engine's wake-up subscriber). */
  subscriber: boolean;
}

/** Connections named after a node (the worker sets CLIENT SETNAME to its label). */
export async function nodeConnections(client: RedisClient): Promise<RedisConnection[]> {
  const text = String(await client.sendCommand(['CLIENT', 'LIST']));
  return text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => Object.fromEntries(line.trim().split(' ').map((pair) => pair.split('=', 2))) as Record<string, string>)
    .filter((fields) => fields.name?.startsWith('node-'))
    .map((fields) => ({ id: fields.id, name: fields.name, subscriber: Number(fields.sub ?? 0) + Number(fields.psub ?? 0) > 0 }));
}

/** CLIENT KILL ID; resolves to whether a connection was closed. */
export async function killConnection(client: RedisClient, id: string): Promise<boolean> {
  try {
    return Number(await client.sendCommand(['CLIENT', 'KILL', 'ID', id])) > 0;
  } catch {
    return false;
  }
}

/** Closes every subscriber connection; returns how many. */
export async function killSubscribers(client: RedisClient): Promise<number> {
  return Number(await client.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']));
}
