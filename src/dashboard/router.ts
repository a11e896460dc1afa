// One request of the dashboard: where it goes (page, JSON reads, actions, metrics), who may, and
// how failures are answered. Paths are relative to where the dashboard is mounted.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ACTIONS } from './actions';
import { fullTaskInfo, overview, recurring, tasks, type ApiContext } from './api';
import { admit } from './auth';
import type { CsrfGuard } from './csrf';
import { httpErrorOf, withinTime } from './failures';
import { HttpError, markStart, readJsonBody, send, sendJson, sendText } from './http-io';
import { newNonce, pagePolicy, renderPage } from './page';

export interface RouterContext extends ApiContext {
  csrf: CsrfGuard;
}

/** Calls the framework's next middleware (Express, Fastify middleware): for requests that are not the dashboard's. */
export type Next = (err?: unknown) => void;

const READS: Record<string, (ctx: ApiContext, query: URLSearchParams) => Promise<unknown>> = {
  '/api/overview': (ctx) => overview(ctx),
  '/api/tasks': (ctx, query) => tasks(ctx, query),
  '/api/recurring': (ctx, query) => recurring(ctx, query),
};

/** The path relative to the mount point: `basePath` stripped when the request still has it. */
function relativePath(pathname: string, basePath: string): string {
  if (basePath !== '' && (pathname === basePath || pathname.startsWith(`${basePath}/`))) return pathname.slice(basePath.length);
  return pathname;
}

/** The path the browser asked for, before any framework stripped its mount path. */
function browserPath(request: IncomingMessage): string {
  return new URL((request as { originalUrl?: string }).originalUrl ?? request.url ?? '/', 'http://x').pathname;
}

export async function route(ctx: RouterContext, request: IncomingMessage, response: ServerResponse, next?: Next): Promise<void> {
  markStart(request);
  const url = new URL(request.url ?? '/', 'http://x');
  const path = relativePath(url.pathname, ctx.options.basePath);
  try {
    if (path === '' || (path === '/' && !browserPath(request).endsWith('/'))) {
      // The page's links are relative to a path ending in '/'.
      const last = browserPath(request).split('/').pop() || '.';
      response.writeHead(308, { location: `${last}/${url.search}`, 'cache-control': 'no-store' }).end();
      return;
    }
    if (path === '/') return await page(ctx, request, response, url);
    if (path in READS || path === '/api/task-info') return await read(ctx, request, response, url, path);
    if (path.startsWith('/api/actions/') && Object.hasOwn(ACTIONS, path.slice('/api/actions/'.length))) {
      return await act(ctx, request, response, url, path.slice('/api/actions/'.length));
    }
    if (path === '/metrics' && ctx.options.metrics) return await metrics(ctx, request, response, url);
    if (next) return next();
    throw new HttpError(404, `not found: ${path}`, 'not-found');
  } catch (err) {
    const failure = httpErrorOf(err);
    const headers = failure.status === 401 && ctx.options.token !== undefined ? { 'www-authenticate': 'Bearer realm="redis-scheduler dashboard"' } : {};
    if (path.startsWith('/api/')) {
      if (!response.headersSent) for (const [header, value] of Object.entries(headers)) response.setHeader(header, value);
      sendJson(request, response, failure.status, { error: failure.message, code: failure.code });
    } else {
      sendText(request, response, failure.status, `${failure.message}\n`, headers);
    }
  }
}

function allow(request: IncomingMessage, methods: string[]): void {
  if (!methods.includes(request.method ?? 'GET')) throw new HttpError(405, `use ${methods.join(' or ')}`, 'method');
}

async function page(ctx: RouterContext, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  allow(request, ['GET', 'HEAD']);
  if (!(await admit(request, response, ctx.options, 'read', url, true))) return;
  const { title, refreshMs, lagThresholdMs, allowActions, pageSize, metrics: hasMetrics } = ctx.options;
  const nonce = newNonce();
  const html = renderPage({ title, refreshMs, lagThresholdMs, allowActions, pageSize, csrfToken: ctx.csrf.token, metrics: hasMetrics }, nonce);
  send(request, response, 200, html, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': pagePolicy(nonce) });
}

async function read(ctx: RouterContext, request: IncomingMessage, response: ServerResponse, url: URL, path: string): Promise<void> {
  allow(request, ['GET', 'HEAD']);
  await admit(request, response, ctx.options, 'read', url, false);
  if (path === '/api/task-info') {
    const disposition = url.searchParams.get('download') === '1' ? 'attachment; filename="taskInfo.txt"' : 'inline';
    sendText(request, response, 200, fullTaskInfo(ctx, url.searchParams), { 'content-disposition': disposition, 'content-security-policy': "default-src 'none'; sandbox" });
    return;
  }
  sendJson(request, response, 200, await withinTime(READS[path](ctx, url.searchParams), ctx.options.requestTimeoutMs));
}

async function act(ctx: RouterContext, request: IncomingMessage, response: ServerResponse, url: URL, action: string): Promise<void> {
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    throw new HttpError(405, 'actions are POST only', 'method');
  }
  await admit(request, response, ctx.options, 'action', url, false);
  if (!ctx.options.allowActions) throw new HttpError(403, 'this dashboard is read-only (start it with allowActions / --allow-actions to act)', 'read-only');
  ctx.csrf.check(request);
  const body = await readJsonBody(request, 64 * 1024 + 4 * ctx.options.previewChars);
  sendJson(request, response, 200, await withinTime(ACTIONS[action](ctx.scheduler, body, ctx.refs), ctx.options.requestTimeoutMs));
}

async function metrics(ctx: RouterContext, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  allow(request, ['GET', 'HEAD']);
  await admit(request, response, ctx.options, 'read', url, false);
  const text = await withinTime(ctx.scheduler.getMetrics(), ctx.options.requestTimeoutMs);
  sendText(request, response, 200, text, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
}
