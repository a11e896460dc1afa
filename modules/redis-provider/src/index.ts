import { ImplementInterface } from '@ajs/core/beta';
import { Logging } from '@ajs/logging/beta';
import { createClient } from 'redis';
import * as redisBeta from './interfaces/redis/beta';

/** `modules.<id>.config` of the provider in antelope.json. */
export interface RedisProviderConfig {
  /** redis:// or rediss:// URL. Default `"redis://127.0.0.1:6379"`. */
  url: string;
}

const DEFAULT_CONFIG: RedisProviderConfig = { url: 'redis://127.0.0.1:6379' };
const channel = new Logging.Channel('redis');

let client: redisBeta.RedisClient | undefined;

/** Creates the shared client from the configured URL and binds redis@beta; GetClient() resolves once it is connected. */
export function construct(config?: Partial<RedisProviderConfig>): void {
  const { url } = { ...DEFAULT_CONFIG, ...config };
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
    throw new TypeError(`redis provider config: "url" must be a redis:// or rediss:// URL, received ${JSON.stringify(url)}`);
  }
  const created: redisBeta.RedisClient = createClient({ url });
  created.on('error', (err: Error) => channel.Error(`${url}: ${err.message}`));
  client = created;
  const ready = created.connect().then(() => {
    channel.Info(`connected to ${url}`);
    return created;
  });
  ready.catch(() => undefined); // the error reaches GetClient() callers
  ImplementInterface(redisBeta, { GetClient: () => ready });
}

export function start(): void {}

export function stop(): void {}

/** Closes the shared client (the core awaits destroy, not stop). */
export async function destroy(): Promise<void> {
  const current = client;
  client = undefined;
  if (current?.isOpen) await current.close();
}
