// How an engine call's failure reaches the page: bad input 400, Redis out of reach 503 (the page
// then says "Redis unreachable"), anything else 500. No call waits longer than requestTimeoutMs.
import { RedisUnavailableError } from '../engine/redis-wait';
import { HttpError } from './http-io';

const CONNECTION_TROUBLE = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|client is closed|connection is closed|socket closed|no reply to|Connection|Socket/i;

/** The HttpError an engine failure stands for. */
export function httpErrorOf(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof TypeError || err instanceof RangeError) return new HttpError(400, err.message, 'bad-input');
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RedisUnavailableError || CONNECTION_TROUBLE.test(message)) return new HttpError(503, `Redis unreachable: ${message}`, 'redis-unreachable');
  return new HttpError(500, message, 'failed');
}

/** `work`, or a 503 once `timeoutMs` passed without an answer (the call goes on; its end is ignored). */
export async function withinTime<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(503, `Redis unreachable: no answer within ${timeoutMs} ms`, 'redis-unreachable')), timeoutMs);
  });
  work.catch(() => undefined); // a late failure is not an unhandled rejection
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
