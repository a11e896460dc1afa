// The CLI's Redis connection: the same Redis as the module's provider, a standalone URL or the root
// nodes of a cluster. It fails fast (no endless reconnects) so a wrong address ends the command.
import { createClient, createCluster } from 'redis';

/** Where the CLI connects. */
export type RedisTarget = { url: string } | { rootNodes: string[] };

const CONNECT_TIMEOUT_MS = 5_000;

/**
 * A connected client; rejects with the (password-free) target named when Redis cannot be reached.
 * With `keepReconnecting` (a long-running command: the dashboard), a connection lost later is
 * retried every 0.1 to 2 s instead of ending the client; the first connection still fails fast.
 */
export async function connect(target: RedisTarget, keepReconnecting = false): Promise<{ client: unknown; close: () => Promise<void> }> {
  let connected = false;
  const reconnectStrategy = keepReconnecting ? (retries: number, cause: Error) => (connected ? Math.min(100 * (retries + 1), 2_000) : cause) : (false as const);
  const socket = { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy };
  const client =
    'url' in target
      ? createClient({ url: target.url, socket })
      : createCluster({ rootNodes: target.rootNodes.map((url) => ({ url })), defaults: { socket } });
  let lastError: unknown;
  client.on('error', (err: unknown) => (lastError = err));
  try {
    await client.connect();
    connected = true;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(lastError ?? err);
    throw new Error(`cannot connect to Redis at ${describeTarget(target)}: ${reason}`);
  }
  return {
    // A standalone client or a cluster: the engine takes either (see src/engine/redis/detect-client.ts).
    client,
    close: async () => {
      if (client.isOpen) await client.close();
      else client.destroy();
    },
  };
}

/** The target without credentials, for messages. */
export function describeTarget(target: RedisTarget): string {
  const strip = (url: string) => url.replace(/\/\/[^@/]*@/, '//');
  return 'url' in target ? strip(target.url) : `cluster ${target.rootNodes.map(strip).join(',')}`;
}
