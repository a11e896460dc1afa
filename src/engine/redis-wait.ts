import { describeError, describeTarget } from './describe';

/** A call could not reach Redis in time; nothing was written. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/** The client fields read here: node-redis clients have them; a client without `isReady` is not waited for. */
interface ConnectionState {
  isOpen?: unknown;
  isReady?: unknown;
  on?(event: string, listener: (arg: unknown) => void): unknown;
  off?(event: string, listener: (arg: unknown) => void): unknown;
}

/**
 * Resolves at once if the client is connected; otherwise waits up to `timeoutMs` for it to be, then
 * rejects with a RedisUnavailableError naming the call, the target and the last connection error.
 * Nothing is sent while waiting, so a rejected call has written nothing.
 */
export async function waitForRedis(client: unknown, timeoutMs: number, call: string): Promise<void> {
  const state = client as ConnectionState;
  if (state.isReady !== false || state.isOpen === false || !state.on || !state.off) return;
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
