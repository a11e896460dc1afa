// Turns a resolved config into a node-redis client or cluster and starts its first connection.
// URLs are parsed here and never handed to node-redis, so the credentials' source is unambiguous and
// no URL with a password travels inside the client.
import { readFileSync } from 'node:fs';
import { createClient, createCluster } from 'redis';
import type { ClusterConfig, NodeConfig, ResolvedConfig, TlsConfig } from './config';
import { ProviderConfigError } from './config';
import { refusalOf } from './connect-errors';
import type { RedisConnection } from './interfaces/redis/beta';

/** A node-redis standalone client or cluster, as this provider creates them. */
export type ProviderClient = RedisConnection;

/** What a connection reports while it starts and runs. */
export interface ConnectEvents {
  /** Every connection error, retried or not. */
  onError(err: Error): void;
}

/** A client whose first connection is under way. */
export interface OpenedClient {
  client: ProviderClient;
  /** Resolves once connected; rejects with the cause when the first connection is refused (see refusalOf). Transient errors keep retrying. */
  connected: Promise<void>;
  /** Closes the client (gracefully once connected). */
  close(): Promise<void>;
}

/** One server, with everything node-redis needs to reach it and log in. */
interface NodeTarget {
  host: string;
  port: number;
  database: number;
  username?: string;
  password?: string;
  tls?: TlsConfig;
}

type SocketOptions = Record<string, unknown>;

function readPem(path: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ProviderConfigError(`redis provider config: cannot read "${path}" (${file}): ${(err as Error).message}`);
  }
}

/** node's tls.connect options from a TlsConfig, with files read. */
function tlsOptions(path: string, tls: TlsConfig = {}): SocketOptions {
  const options: SocketOptions = {};
  for (const [text, file] of [['ca', 'caFile'], ['cert', 'certFile'], ['key', 'keyFile']] as const) {
    const pem = tls[text] ?? (tls[file] === undefined ? undefined : readPem(`${path}.${file}`, tls[file]));
    if (pem !== undefined) options[text] = pem;
  }
  if (tls.servername !== undefined) options.servername = tls.servername;
  if (tls.rejectUnauthorized !== undefined) options.rejectUnauthorized = tls.rejectUnauthorized;
  return options;
}

function nodeTarget(node: NodeConfig): NodeTarget {
  const url = new URL(node.url);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    database: Number(url.pathname.slice(1) || 0),
    username: url.username === '' ? node.username : decodeURIComponent(url.username),
    password: url.password === '' ? node.password : decodeURIComponent(url.password),
    tls: url.protocol === 'rediss:' ? (node.tls ?? {}) : undefined,
  };
}

function socket(path: string, target: Pick<NodeTarget, 'host' | 'port' | 'tls'>): SocketOptions {
  const address = { host: target.host, port: target.port };
  return target.tls === undefined ? address : { ...address, tls: true, ...tlsOptions(path, target.tls) };
}

function credentials(target: Pick<NodeTarget, 'username' | 'password'>): { username?: string; password?: string } {
  return {
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
  };
}

/** node-redis's own backoff (50 ms doubling up to 2 s, plus jitter), giving up only on a refused first connection. */
function reconnectStrategy(isUp: () => boolean) {
  return (retries: number, cause: Error): number | Error => {
    if (!isUp() && refusalOf(cause)) return cause;
    return Math.min(50 * 2 ** retries, 2_000) + Math.floor(Math.random() * 200);
  };
}

function openStandalone(node: NodeConfig, events: ConnectEvents): OpenedClient {
  const target = nodeTarget(node);
  let up = false;
  const client = createClient({
    ...credentials(target),
    ...(target.database === 0 ? {} : { database: target.database }),
    socket: { ...socket('tls', target), reconnectStrategy: reconnectStrategy(() => up) },
  } as Parameters<typeof createClient>[0]) as ProviderClient;
  client.on('error', (err: Error) => events.onError(err));
  const connected = client.connect().then(
    () => {
      up = true;
    },
    (err: Error & { cause?: unknown }) => {
      // A strategy that gives up rejects connect() with a wrapper around the refusal.
      throw err.cause instanceof Error && refusalOf(err.cause) ? err.cause : err;
    },
  );
  return { client, connected, close: () => closeClient(client, up) };
}

/**
 * Credentials and TLS of the nodes the cluster discovers: node-redis gives them only `defaults`, never
 * a root node's settings. Shared fields first, else the first root node's.
 */
function clusterDefaults(cluster: ClusterConfig, shared: Omit<NodeConfig, 'url'>, isUp: () => boolean): SocketOptions {
  const first = nodeTarget(cluster.rootNodes[0]);
  const tls = first.tls === undefined ? undefined : (shared.tls ?? first.tls);
  return {
    ...credentials({ username: shared.username ?? first.username, password: shared.password ?? first.password }),
    socket: { ...(tls === undefined ? {} : { tls: true, ...tlsOptions('tls', tls) }), reconnectStrategy: reconnectStrategy(isUp) },
  };
}

function openCluster(cluster: ClusterConfig, shared: Omit<NodeConfig, 'url'>, events: ConnectEvents): OpenedClient {
  let up = false;
  let closed = false;
  let lastError: Error | undefined;
  let wakeUp = () => {};
  const rootNodes = cluster.rootNodes.map((node, i) => {
    const target = nodeTarget({ ...shared, ...node });
    return { ...credentials(target), socket: socket(`cluster.rootNodes[${i}].tls`, target) };
  });
  const { rootNodes: _, ...options } = cluster;
  const defaults = clusterDefaults(cluster, shared, () => up);
  const client = createCluster({ ...options, rootNodes, defaults } as Parameters<typeof createCluster>[0]) as unknown as ProviderClient;
  const onError = (err: Error) => {
    lastError = err;
    events.onError(err);
  };
  client.on('error', onError);
  client.on('node-error', onError);
  // Discovery tries each root node once; retry it until it works, a node refuses us, or close().
  const connected = (async () => {
    for (let retries = 0; ; retries++) {
      try {
        await client.connect();
        up = true;
        return;
      } catch (err) {
        if (lastError && refusalOf(lastError)) throw lastError;
        if (closed) throw err;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(100 * 2 ** retries, 2_000));
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (closed) throw new Error('closed before connecting');
    }
  })();
  return {
    client,
    connected,
    close: () => {
      closed = true;
      wakeUp();
      return closeClient(client, up);
    },
  };
}

async function closeClient(client: ProviderClient, up: boolean): Promise<void> {
  if (up) await client.close();
  else client.destroy();
}

/**
 * Creates the client the config describes and starts connecting.
 * @throws ProviderConfigError when a TLS file cannot be read.
 */
export function openClient(config: ResolvedConfig, events: ConnectEvents): OpenedClient {
  return config.kind === 'standalone' ? openStandalone(config.node, events) : openCluster(config.cluster, config.shared, events);
}
