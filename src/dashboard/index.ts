// createDashboard: the scheduler's web dashboard as a plain Node.js request handler, to mount on a
// node:http server, in Express (app.use) or in Fastify (through its middleware support). See
// docs/dashboard.md.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CsrfGuard } from './csrf';
import { resolveDashboardOptions, type DashboardOptions } from './options';
import { route, type Next } from './router';
import type { DashboardScheduler } from './scheduler-port';
import { TaskRefs } from './task-refs';

export { DEFAULT_DASHBOARD_OPTIONS, type DashboardAccess, type DashboardAuthorize, type DashboardOptions } from './options';
export type { DashboardScheduler } from './scheduler-port';

/** A `(request, response, next?)` handler: node:http's request listener and a Connect/Express middleware at once. */
export type DashboardHandler = (request: IncomingMessage, response: ServerResponse, next?: Next) => void;

/**
 * The dashboard of `scheduler` (a RedisScheduler; it need not be started: the dashboard only reads
 * and, with `allowActions`, acts on Redis). Read-only by default; see {@link DashboardOptions}.
 * @throws TypeError naming the option on a bad option.
 */
export function createDashboard(scheduler: DashboardScheduler, options: Partial<DashboardOptions> = {}): DashboardHandler {
  const resolved = resolveDashboardOptions(options);
  const ctx = { scheduler, options: resolved, refs: new TaskRefs(), csrf: new CsrfGuard() };
  return (request, response, next) => {
    route(ctx, request, response, next).catch(() => response.destroy());
  };
}
