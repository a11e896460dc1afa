import { ImplementInterface } from '@ajs/core/beta';
import { Logging } from '@ajs/logging/beta';
import { resolveConfig } from './config';
import { Connection } from './connection';
import * as redisBeta from './interfaces/redis/beta';

export type { RedisProviderConfig } from './config';

const channel = new Logging.Channel('redis');

let connection: Connection | undefined;

/**
 * Checks the config (see RedisProviderConfig; a bad one fails the load naming the field), starts
 * connecting and binds redis@beta. GetClient() resolves once connected (see Connection.get).
 */
export function construct(config?: unknown): void {
  const created = new Connection(resolveConfig(config ?? {}), {
    info: (message) => channel.Info(message),
    error: (message) => channel.Error(message),
  });
  connection = created;
  void created.get().catch(() => undefined); // connect now; the outcome reaches GetClient() callers
  ImplementInterface(redisBeta, { GetClient: () => created.get() });
}

export function start(): void {}

export function stop(): void {}

/** Closes the shared client (the core awaits destroy, not stop). */
export async function destroy(): Promise<void> {
  const current = connection;
  connection = undefined;
  await current?.close();
}
