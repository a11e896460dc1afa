// Texts for logs and errors: an error, a task and a Redis target each in one short line that is
// never empty (node-redis's TimeoutError, for one, has no message at all).

/** Longest taskInfo excerpt in a log line. */
const TASK_INFO_EXCERPT_CHARS = 80;

/** What to say for errors that carry no message, by class name (node-redis's TimeoutError has none). */
const EMPTY_ERROR_TEXTS: Readonly<Record<string, string>> = {
  TimeoutError:
    "Redis did not take the command within the client's command timeout (node-redis TimeoutError): the connection is down or Redis is overloaded",
};

/** One line about an error, for logs and rejections; never empty. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    if (err.message) return err.message;
    if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(describeError).join('; ');
    return EMPTY_ERROR_TEXTS[err.constructor.name] ?? `${err.constructor.name} with no message`;
  }
  if (typeof err === 'string') return err || 'an empty error';
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

/** A task as logs show it: its name and a short, escaped excerpt of its taskInfo. */
export function describeTask(name: string, taskInfo: string): string {
  const excerpt =
    taskInfo.length > TASK_INFO_EXCERPT_CHARS ? `${taskInfo.slice(0, TASK_INFO_EXCERPT_CHARS)}…` : taskInfo;
  return `"${name}" ${JSON.stringify(excerpt)}`;
}

/** Shape of the client fields read here (node-redis exposes `options`; others may not). */
interface ClientWithOptions {
  /** node-redis: url or socket; ioredis: host, port or path. */
  options?: { url?: unknown; socket?: { host?: unknown; port?: unknown; path?: unknown }; host?: unknown; port?: unknown; path?: unknown };
}

/** Where a client connects, without credentials: its URL, host:port or socket path. */
export function describeTarget(client: unknown): string {
  const options = (client as ClientWithOptions | undefined)?.options;
  if (typeof options?.url === 'string') return redactUrl(options.url);
  const socket = options?.socket ?? options;
  if (typeof socket?.path === 'string') return socket.path;
  if (socket?.host !== undefined || socket?.port !== undefined) return `${String(socket.host ?? 'localhost')}:${String(socket.port ?? 6379)}`;
  return 'the configured Redis';
}

/** The URL with its username and password replaced by `***`. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = parsed.username ? '***' : '';
      parsed.password = parsed.password ? '***' : '';
    }
    return parsed.toString();
  } catch {
    return '(an unparsable Redis URL)';
  }
}
