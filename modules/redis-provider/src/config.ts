// The provider's `antelope.json` config: its shape, its defaults, and the checks that reject a bad one
// with a message naming the field (and never echoing a password). Nothing here connects or reads files.
import { redactUrl } from './redact';

/**
 * TLS settings, used when the URL is `rediss://`. PEM text (`ca`, `cert`, `key`) or a path to a PEM file
 * (`caFile`, `certFile`, `keyFile`), one of each pair.
 */
export interface TlsConfig {
  /** CA certificate(s) that signed the server's certificate (a private CA). Default: Node's public CA list. */
  ca?: string;
  /** Path of a PEM file holding `ca`. */
  caFile?: string;
  /** Client certificate, for servers that ask for one (mutual TLS, `tls-auth-clients yes`). Default: none. Needs `key`/`keyFile`. */
  cert?: string;
  /** Path of a PEM file holding `cert`. */
  certFile?: string;
  /** Private key of the client certificate. Default: none. Needs `cert`/`certFile`. */
  key?: string;
  /** Path of a PEM file holding `key`. */
  keyFile?: string;
  /** Name checked against the server's certificate (and sent as SNI). Default: the URL's host. */
  servername?: string;
  /** Refuse a server whose certificate does not verify. Default `true`; `false` only for throwaway tests. */
  rejectUnauthorized?: boolean;
}

/** Where one Redis server is, and how to log in to it. */
export interface NodeConfig {
  /**
   * `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS. Percent-encode reserved
   * characters in the user and password (`@` → `%40`, `:` → `%3A`, `/` → `%2F`, `%` → `%25`).
   */
  url: string;
  /** ACL user. Default: the URL's user, else Redis's `default` user. Not both in the URL and here. */
  username?: string;
  /** Password. Default: the URL's password, else none. Not both in the URL and here. Never logged. */
  password?: string;
  /** TLS settings for a `rediss://` URL. Default: Node's defaults (public CAs, verified server). */
  tls?: TlsConfig;
}

/** A Redis Cluster: node-redis `createCluster` with the options that can be written in JSON. */
export interface ClusterConfig {
  /** Some nodes of the cluster (3 or more recommended) to discover the others from. */
  rootNodes: NodeConfig[];
  /** Send read-only commands to replicas too. Default `false`. */
  useReplicas?: boolean;
  /** Connect to a node only when a command needs it. Default `false`. */
  minimizeConnections?: boolean;
  /** Most MOVED/ASK redirections followed for one command. Default `16`. */
  maxCommandRedirections?: number;
  /** Addresses as the cluster announces them (`"10.0.0.5:6379"`) → where to connect instead. Default: none. */
  nodeAddressMap?: Record<string, { host: string; port: number }>;
}

/**
 * `modules.<id>.config` of the provider in antelope.json: `url` (a standalone server) or `cluster`.
 * `username`, `password` and `tls` apply to the `url`, or on a cluster to every node (root nodes may
 * set their own).
 */
export interface RedisProviderConfig {
  /** A standalone server (see NodeConfig.url). Default `"redis://127.0.0.1:6379"` when `cluster` is absent. */
  url?: string;
  /** A Redis Cluster instead of `url`. Default: none. */
  cluster?: ClusterConfig;
  /** See NodeConfig.username. */
  username?: string;
  /** See NodeConfig.password. */
  password?: string;
  /** See NodeConfig.tls. */
  tls?: TlsConfig;
  /**
   * Longest wait of one GetClient() call for the first connection; it then rejects naming the target
   * and the last error while the connection keeps retrying underneath. Default `10000`.
   */
  connectTimeoutMs?: number;
}

/** The config after checks and defaults. */
export type ResolvedConfig =
  | { kind: 'standalone'; node: NodeConfig; connectTimeoutMs: number }
  | { kind: 'cluster'; cluster: ClusterConfig; shared: Omit<NodeConfig, 'url'>; connectTimeoutMs: number };

export const DEFAULT_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** A bad config; the message names the field. */
export class ProviderConfigError extends TypeError {}

type Json = Record<string, unknown>;

function fail(path: string, expected: string, value: unknown): never {
  throw new ProviderConfigError(`redis provider config: "${path}" must be ${expected}, received ${describe(value)}`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** Checks that `value` is a plain object holding only `allowed` fields. */
function object(path: string, value: unknown, allowed: readonly string[]): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'an object', value);
  for (const field of Object.keys(value)) {
    if (!allowed.includes(field)) {
      const where = path === '' ? '' : ` in "${path}"`;
      throw new ProviderConfigError(`redis provider config: unknown field "${field}"${where}; expected one of ${allowed.join(', ')}`);
    }
  }
  return value as Json;
}

const join = (path: string, field: string) => (path === '' ? field : `${path}.${field}`);

function optionalString(path: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) fail(path, 'a non-empty string', value);
  return value;
}

function optionalBoolean(path: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') fail(path, 'true or false', value);
  return value;
}

function integer(path: string, value: unknown, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) fail(path, `an integer from ${min} to ${max}`, value);
  return value as number;
}

const TLS_FIELDS = ['ca', 'caFile', 'cert', 'certFile', 'key', 'keyFile', 'servername', 'rejectUnauthorized'] as const;

function tlsConfig(path: string, value: unknown): TlsConfig | undefined {
  if (value === undefined) return undefined;
  const raw = object(path, value, TLS_FIELDS);
  const tls: TlsConfig = {};
  for (const field of ['ca', 'caFile', 'cert', 'certFile', 'key', 'keyFile', 'servername'] as const) {
    const text = optionalString(join(path, field), raw[field]);
    if (text !== undefined) tls[field] = text;
  }
  const rejectUnauthorized = optionalBoolean(join(path, 'rejectUnauthorized'), raw.rejectUnauthorized);
  if (rejectUnauthorized !== undefined) tls.rejectUnauthorized = rejectUnauthorized;
  for (const [text, file] of [['ca', 'caFile'], ['cert', 'certFile'], ['key', 'keyFile']] as const) {
    if (tls[text] !== undefined && tls[file] !== undefined) {
      throw new ProviderConfigError(`redis provider config: give "${join(path, text)}" or "${join(path, file)}", not both`);
    }
  }
  const hasCert = tls.cert !== undefined || tls.certFile !== undefined;
  const hasKey = tls.key !== undefined || tls.keyFile !== undefined;
  if (hasCert !== hasKey) {
    throw new ProviderConfigError(`redis provider config: "${path}" needs both a client certificate (cert or certFile) and its key (key or keyFile)`);
  }
  return tls;
}

/** Checks a URL; credentials given both in it and in a field are refused. */
function nodeUrl(path: string, value: unknown, credentials: Omit<NodeConfig, 'url'>): string {
  if (typeof value !== 'string' || !/^rediss?:\/\/./.test(value)) fail(path, 'a redis:// or rediss:// URL', typeof value === 'string' ? redactUrl(value) : value);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ProviderConfigError(
      `redis provider config: "${path}" is not a valid URL (percent-encode reserved characters in the user and password, e.g. "@" as %40)`,
    );
  }
  if (!/^\/?\d*$/.test(parsed.pathname)) fail(path, 'a URL whose path is empty or a database number', `…${parsed.pathname}`);
  if (parsed.username !== '' && credentials.username !== undefined) {
    throw new ProviderConfigError(`redis provider config: the user is given twice, in "${path}" and in "username"`);
  }
  if (parsed.password !== '' && credentials.password !== undefined) {
    throw new ProviderConfigError(`redis provider config: the password is given twice, in "${path}" and in "password"`);
  }
  if (credentials.tls !== undefined && parsed.protocol !== 'rediss:') {
    throw new ProviderConfigError(`redis provider config: "tls" is set but "${path}" is not a rediss:// URL`);
  }
  return value;
}

function credentials(path: string, raw: Json): Omit<NodeConfig, 'url'> {
  const node: Omit<NodeConfig, 'url'> = {};
  const username = optionalString(join(path, 'username'), raw.username);
  const password = optionalString(join(path, 'password'), raw.password);
  const tls = tlsConfig(join(path, 'tls'), raw.tls);
  if (username !== undefined) node.username = username;
  if (password !== undefined) node.password = password;
  if (tls !== undefined) node.tls = tls;
  return node;
}

function rootNode(path: string, value: unknown, shared: Omit<NodeConfig, 'url'>): NodeConfig {
  const raw = object(path, value, ['url', 'username', 'password', 'tls']);
  const own = credentials(path, raw);
  const url = nodeUrl(join(path, 'url'), raw.url, { ...shared, ...own });
  if (!/^\/?0?$/.test(new URL(url).pathname)) {
    fail(join(path, 'url'), 'a URL without a database number (a cluster has database 0 only)', redactUrl(url));
  }
  return { url, ...own };
}

function addressMap(value: unknown): Record<string, { host: string; port: number }> {
  const map = object('cluster.nodeAddressMap', value, Object.keys(value ?? {}));
  const result: Record<string, { host: string; port: number }> = {};
  for (const [address, target] of Object.entries(map)) {
    const path = `cluster.nodeAddressMap["${address}"]`;
    const entry = object(path, target, ['host', 'port']);
    if (typeof entry.host !== 'string' || entry.host === '') fail(join(path, 'host'), 'a host name', entry.host);
    result[address] = { host: entry.host, port: integer(join(path, 'port'), entry.port, 1, 65_535) };
  }
  return result;
}

const CLUSTER_FIELDS = ['rootNodes', 'useReplicas', 'minimizeConnections', 'maxCommandRedirections', 'nodeAddressMap'] as const;

function clusterConfig(value: unknown, shared: Omit<NodeConfig, 'url'>): ClusterConfig {
  const raw = object('cluster', value, CLUSTER_FIELDS);
  if (!Array.isArray(raw.rootNodes) || raw.rootNodes.length === 0) fail('cluster.rootNodes', 'a non-empty array of { "url": … }', raw.rootNodes);
  const cluster: ClusterConfig = { rootNodes: raw.rootNodes.map((node, i) => rootNode(`cluster.rootNodes[${i}]`, node, shared)) };
  const useReplicas = optionalBoolean('cluster.useReplicas', raw.useReplicas);
  const minimizeConnections = optionalBoolean('cluster.minimizeConnections', raw.minimizeConnections);
  if (useReplicas !== undefined) cluster.useReplicas = useReplicas;
  if (minimizeConnections !== undefined) cluster.minimizeConnections = minimizeConnections;
  if (raw.maxCommandRedirections !== undefined) {
    cluster.maxCommandRedirections = integer('cluster.maxCommandRedirections', raw.maxCommandRedirections, 1, 1_000);
  }
  if (raw.nodeAddressMap !== undefined) cluster.nodeAddressMap = addressMap(raw.nodeAddressMap);
  return cluster;
}

/**
 * Checks the provider config and applies the defaults.
 * @throws ProviderConfigError naming the field, for an unknown field or a bad value.
 */
export function resolveConfig(input: unknown = {}): ResolvedConfig {
  const raw = object('', input ?? {}, ['url', 'cluster', 'username', 'password', 'tls', 'connectTimeoutMs']);
  const shared = credentials('', raw);
  const connectTimeoutMs =
    raw.connectTimeoutMs === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : integer('connectTimeoutMs', raw.connectTimeoutMs, 100, 3_600_000);
  if (raw.cluster !== undefined) {
    if (raw.url !== undefined) throw new ProviderConfigError('redis provider config: give "url" (a standalone server) or "cluster", not both');
    return { kind: 'cluster', cluster: clusterConfig(raw.cluster, shared), shared, connectTimeoutMs };
  }
  const url = nodeUrl('url', raw.url ?? DEFAULT_URL, shared);
  return { kind: 'standalone', node: { url, ...shared }, connectTimeoutMs };
}
