// Reading requests and writing responses: JSON bodies with a size limit, JSON and text replies with
// the headers every dashboard response carries (no caching, no sniffing, no framing).
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

/** A reply other than 200, with a message for the page. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Machine-readable reason, e.g. `redis-unreachable`, `csrf`, `read-only`. */
    readonly code: string,
  ) {
    super(message);
  }
}


/** Headers on every response. */
export const COMMON_HEADERS: OutgoingHttpHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** When the dashboard started on a request, for the Server-Timing header. */
const started = new WeakMap<IncomingMessage, number>();

export function markStart(request: IncomingMessage): void {
  started.set(request, performance.now());
}

function timing(request: IncomingMessage): OutgoingHttpHeaders {
  const startMs = started.get(request);
  return startMs === undefined ? {} : { 'server-timing': `app;dur=${(performance.now() - startMs).toFixed(1)}` };
}

export function send(request: IncomingMessage, response: ServerResponse, status: number, body: string, headers: OutgoingHttpHeaders): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, { ...COMMON_HEADERS, ...timing(request), 'content-length': Buffer.byteLength(body), ...headers });
  response.end(request.method === 'HEAD' ? undefined : body);
}

export function sendJson(request: IncomingMessage, response: ServerResponse, status: number, value: unknown): void {
  send(request, response, status, JSON.stringify(value), { 'content-type': 'application/json; charset=utf-8' });
}

export function sendText(request: IncomingMessage, response: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  send(request, response, status, text, { 'content-type': 'text/plain; charset=utf-8', ...headers });
}

/** The request's JSON body (an object), at most `maxBytes`. @throws HttpError 400 / 413 / 415 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const type = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'actions take a JSON body (content-type: application/json)', 'content-type');
  // Frameworks with a body parser (Express json(), Fastify) may have read it already.
  const parsed = (request as { body?: unknown }).body;
  if (parsed !== undefined && typeof parsed === 'object' && parsed !== null && !Buffer.isBuffer(parsed)) return parsed as Record<string, unknown>;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, `the body is over ${maxBytes} bytes`, 'too-large');
    chunks.push(chunk as Buffer);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'the body is not valid JSON', 'bad-json');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, 'the body must be a JSON object', 'bad-json');
  return value as Record<string, unknown>;
}
