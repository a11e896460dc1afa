// The dashboard's options: their types, documented defaults and checks.
import type { IncomingMessage } from 'node:http';

/** What a request asks for: to look (`read`) or to change something (`action`, a POST). */
export type DashboardAccess = 'read' | 'action';

/** Decides whether a request may go on; false (or a rejection) answers 403. */
export type DashboardAuthorize = (request: IncomingMessage, access: DashboardAccess) => boolean | Promise<boolean>;

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /**
   * The path the dashboard is served under, e.g. `"/scheduler"`, for a plain node:http server that
   * passes every request: a request whose path starts with it has it stripped. Frameworks that strip
   * their mount path themselves (Express `app.use(path, ...)`, Fastify middleware) need none.
   * Default `""` (served at the root, or wherever the framework mounted it).
   */
  basePath: string;
  /**
   * Whether the page may act: pause/resume, run now, delete, retry, purge, remove a recurring task.
   * Actions are POST only and carry a CSRF token. Default `false`: read-only.
   */
  allowActions: boolean;
  /**
   * A shared secret every request must carry: `Authorization: Bearer <token>`, or once in the page's
   * address (`?token=<token>`), which sets an HttpOnly, SameSite=Strict cookie and drops it from the
   * address. Default `undefined`: no token (rely on `authorize`, or on binding to 127.0.0.1).
   */
  token: string | undefined;
  /**
   * Your own check, called on every request after the token's, with what it asks for (`read` or
   * `action`): return false to answer 403. Default `undefined`: every request that passed the token
   * check may read, and act when `allowActions` is on.
   */
  authorize: DashboardAuthorize | undefined;
  /** Lag (age of the oldest overdue task) from which a name's row is highlighted, ms. Default `60000`. */
  lagThresholdMs: number;
  /** How often the page refreshes itself, ms (at least 500). Default `2000`. */
  refreshMs: number;
  /** Tasks per page in a name's lists, 1 to 1,000. Default `50`. */
  pageSize: number;
  /** Characters of a taskInfo (or error) shown in lists; longer ones are cut, with a way to see all. Default `1000`. */
  previewChars: number;
  /** Serve the scheduler's Prometheus text (getMetrics) at `<basePath>/metrics`. Default `false`. */
  metrics: boolean;
  /** Longest wait for Redis per request, ms; past it the page says Redis is unreachable. Default `5000`. */
  requestTimeoutMs: number;
  /** The page's title. Default `"redis-scheduler"`. */
  title: string;
}

/** The defaults of every {@link DashboardOptions} field. */
export const DEFAULT_DASHBOARD_OPTIONS: Readonly<DashboardOptions> = Object.freeze({
  basePath: '',
  allowActions: false,
  token: undefined,
  authorize: undefined,
  lagThresholdMs: 60_000,
  refreshMs: 2_000,
  pageSize: 50,
  previewChars: 1_000,
  metrics: false,
  requestTimeoutMs: 5_000,
  title: 'redis-scheduler',
});

type Check = (value: unknown) => string | undefined;

const integer =
  (min: number, max: number): Check =>
  (value) =>
    Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max ? undefined : `an integer from ${min} to ${max}`;
const boolean: Check = (value) => (typeof value === 'boolean' ? undefined : 'a boolean');
const optionalFunction: Check = (value) => (value === undefined || typeof value === 'function' ? undefined : 'a function');

const CHECKS: Record<keyof DashboardOptions, Check> = {
  basePath: (value) => (typeof value === 'string' && (value === '' || /^\/[^?#\s]*[^/?#\s]$/.test(value)) ? undefined : 'a path such as "/scheduler" (no trailing slash), or ""'),
  allowActions: boolean,
  token: (value) => (value === undefined || (typeof value === 'string' && value.length >= 8) ? undefined : 'a string of at least 8 characters'),
  authorize: optionalFunction,
  lagThresholdMs: integer(0, 365 * 86_400_000),
  refreshMs: integer(500, 3_600_000),
  pageSize: integer(1, 1_000),
  previewChars: integer(16, 1_000_000),
  metrics: boolean,
  requestTimeoutMs: integer(100, 600_000),
  title: (value) => (typeof value === 'string' && value.length <= 200 ? undefined : 'a string of at most 200 characters'),
};

/**
 * The options with defaults filled in.
 * @throws TypeError naming the field for an unknown field or a bad value.
 */
export function resolveDashboardOptions(options: Partial<DashboardOptions> = {}): DashboardOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('redis_scheduler dashboard: options must be an object');
  for (const field of Object.keys(options)) {
    if (!Object.hasOwn(CHECKS, field)) throw new TypeError(`redis_scheduler dashboard: unknown option "${field}"`);
  }
  const resolved = { ...DEFAULT_DASHBOARD_OPTIONS, ...options } as DashboardOptions;
  for (const [field, check] of Object.entries(CHECKS) as Array<[keyof DashboardOptions, Check]>) {
    const expected = check(resolved[field]);
    if (expected) throw new TypeError(`redis_scheduler dashboard: ${field} must be ${expected}, received ${JSON.stringify(resolved[field]) ?? String(resolved[field])}`);
  }
  return resolved;
}
