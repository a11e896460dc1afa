import { describeError, describeTarget } from './describe';

/** A call could not reach Redis in time; nothing was written. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/** The client fields read here (node-redis: isOpen/isReady; ioredis: status; both emit 'ready' and 'error'). */
interface ConnectionState {
  isOpen?: unknown;
  isReady?: unknown;
  status?: unknown;
  isCluster?: unknown;
  masters?: unknown;
  on?(event: string, listener: (arg: unknown) => void): unknown;
  off?(event: string, listener: (arg: unknown) => void): unknown;
}

/**
 * Whether a standalone node-redis or ioredis client is waiting for a connection that may come. Cluster
 * clients are not waited for (node-redis's never emits 'ready'; both route and retry per node), nor
 * closed clients (their calls fail at once, saying so).
 */
function isReconnecting(state: ConnectionState): boolean {
  if (!state.on || !state.off || Array.isArray(state.masters) || state.isCluster === true) return false;
  if (typeof state.isReady === 'boolean') return !state.isReady && state.isOpen !== false;
  if (typeof state.status === 'string') return ['connecting', 'connect', 'reconnecting'].includes(state.status);
  return false;
}

/**
 * Resolves at once if the client is connected; otherwise waits up to `timeoutMs` for it to be, then
 * rejects with a RedisUnavailableError naming the call, the target and the last connection error.
 * Nothing is sent while waiting, so a rejected call has written nothing.
 */
export function waitForRedis(client: unknown, timeoutMs: number, call: string): Promise<void> {
  const state = client as ConnectionState;
  // Every add and operator call passes here: no async step when connected.
  if (!isReconnecting(state)) return CONNECTED;
  return waitForReady(client, state, timeoutMs, call);
}

/** Whether a call would go out at once: {@link waitForRedis} has nothing to wait for. */
export function isRedisConnected(client: unknown): boolean {
  return !isReconnecting(client as ConnectionState);
}

/** A settled promise, shared by the calls that have nothing to wait for. */
export const CONNECTED: Promise<void> = Promise.resolve();

async function waitForReady(client: unknown, state: ConnectionState, timeoutMs: number, call: string): Promise<void> {
  let lastError: unknown;
  let onReady!: () => void;
  const onError = (err: unknown) => {
    lastError = err;
  };
  let timer: NodeJS.Timeout | undefined;
  const ready = await new Promise<boolean>((resolve) => {
    onReady = () => resolve(true);
    timer = setTimeout(() => resolve(false), timeoutMs);
    state.on!('ready', onReady);
    state.on!('error', onError);
  }).finally(() => {
    clearTimeout(timer);
    state.off!('ready', onReady);
    state.off!('error', onError);
  });
  if (ready) return;
  const cause = lastError === undefined ? 'no connection' : `last error: ${describeError(lastError)}`;
  throw new RedisUnavailableError(
    `redis_scheduler: ${call} could not reach Redis at ${describeTarget(client)} within ${timeoutMs} ms (${cause}); ` +
      'nothing was written. Check that Redis is running and reachable at that address (redisWaitMs sets how long calls wait).',
  );
}
