// Issue 13: createDashboard at the HTTP level, mounted under a path of a node:http server, and the
// way Express and Fastify middleware mount it (the mount path stripped from req.url, originalUrl
// kept): routing, the JSON API against getStats and listTasks, long taskInfos by ref, the guards of
// actions (POST, read-only, CSRF, token, authorize) and /metrics.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDashboard, type DashboardOptions } from '../../src/engine';
import type { RedisScheduler } from '../../src/engine/scheduler';
import { EngineBench } from '../support/engines';
import { scanKeys } from '../support/scan-keys';

const PREFIX = 'test:dashboard-http';
const TOKEN = 'http-test-token';

async function listen(listener: RequestListener): Promise<{ server: Server; base: string }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The dashboard under /scheduler of an app that serves other paths itself. */
async function mounted(engine: RedisScheduler, options: Partial<DashboardOptions>) {
  const dashboard = createDashboard(engine, { basePath: '/scheduler', ...options });
  return listen((request, response) => {
    if (request.url === '/scheduler' || request.url?.startsWith('/scheduler/') || request.url?.startsWith('/scheduler?')) dashboard(request, response);
    else response.writeHead(200, { 'content-type': 'text/plain' }).end('the app');
  });
}

async function csrfOf(base: string, headers: Record<string, string> = {}): Promise<string> {
  const html = await (await fetch(`${base}/scheduler/`, { headers })).text();
  const settings = /<script type="application\/json" id="settings"[^>]*>(.*?)<\/script>/s.exec(html)![1];
  return (JSON.parse(settings) as { csrfToken: string }).csrfToken;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('dashboard: createDashboard over HTTP', function () {
  this.timeout(30_000);
  const bench = new EngineBench();
  const servers: Server[] = [];
  let engine: RedisScheduler;
  const long = 'L'.repeat(5_000);

  before(async () => {
    await bench.connect();
    engine = bench.engine({ keyPrefix: PREFIX, allowUnknownHandlers: true });
    const now = await bench.redisNowMs();
    await engine.addTasks([
      ...Array.from({ length: 120 }, (_, i) => ({ name: 'mail', dueTimeMs: now + 2 * 3_600_000 + i, taskInfo: `m${String(i).padStart(3, '0')}` })),
      ...Array.from({ length: 3 }, (_, i) => ({ name: 'soon', dueTimeMs: now + 60_000, taskInfo: `a${i}` })),
      ...Array.from({ length: 2 }, (_, i) => ({ name: 'soon', dueTimeMs: now + 7 * 60_000, taskInfo: `b${i}` })),
      { name: 'soon', dueTimeMs: now + 32 * 60_000, taskInfo: long },
    ]);
  });

  after(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    const keys = await scanKeys(PREFIX);
    if (keys.length > 0) await bench.client.del(keys);
    await bench.close();
  });

  const start = async (options: Partial<DashboardOptions>) => {
    const site = await mounted(engine, options);
    servers.push(site.server);
    return site.base;
  };

  it('serves the page under its path (redirecting the bare path), with a nonce policy, and leaves other paths to the app', async () => {
    const base = await start({});
    const bare = await fetch(`${base}/scheduler`, { redirect: 'manual' });
    assert.deepEqual([bare.status, bare.headers.get('location')], [308, 'scheduler/']);
    const page = await fetch(`${base}/scheduler/`);
    assert.equal(page.status, 200);
    const policy = page.headers.get('content-security-policy')!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(policy)![1];
    const html = await page.text();
    assert.ok(html.includes(`<script nonce="${nonce}">`));
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(await (await fetch(`${base}/elsewhere`)).text(), 'the app');
    assert.equal((await fetch(`${base}/scheduler/nothing-here`)).status, 404);
  });

  it('answers the overview with the figures of getStats and the tasks due over the next hour', async () => {
    const base = await start({});
    const overview = (await (await fetch(`${base}/scheduler/api/overview`)).json()) as {
      stats: Array<{ name: string }>;
      forecast: { bucketMs: number; byName: Record<string, number[]> };
    };
    assert.deepEqual(overview.stats, await engine.getStats());
    assert.equal(overview.forecast.bucketMs, 300_000);
    assert.deepEqual(overview.forecast.byName.soon, [3, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    assert.deepEqual(overview.forecast.byName.mail, new Array(12).fill(0));
  });

  it('pages through a name with the cursor of listTasks', async () => {
    const base = await start({ pageSize: 50 });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query = new URLSearchParams({ name: 'mail', state: 'scheduled', ...(cursor ? { cursor } : {}) });
      const page = (await (await fetch(`${base}/scheduler/api/tasks?${query}`)).json()) as { tasks: Array<{ taskInfo: string }>; cursor?: string };
      seen.push(...page.tasks.map((task) => task.taskInfo));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, Array.from({ length: 120 }, (_, i) => `m${String(i).padStart(3, '0')}`));
    const bad = await fetch(`${base}/scheduler/api/tasks?name=mail&state=lost`);
    assert.equal(bad.status, 400);
  });

  it('sends a long taskInfo cut short with a ref, serves the whole of it as plain text, and acts on it by ref', async () => {
    const base = await start({ previewChars: 100, allowActions: true });
    const page = (await (await fetch(`${base}/scheduler/api/tasks?name=soon&state=scheduled`)).json()) as {
      tasks: Array<{ taskInfo: string; length: number; truncated: boolean; ref?: string }>;
    };
    const row = page.tasks.find((task) => task.truncated)!;
    assert.deepEqual([row.taskInfo, row.length], [long.slice(0, 100), long.length]);
    const full = await fetch(`${base}/scheduler/api/task-info?ref=${row.ref}`);
    assert.equal(full.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(full.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await full.text(), long);
    assert.equal((await fetch(`${base}/scheduler/api/task-info?ref=made-up`)).status, 404);
    const csrf = await csrfOf(base);
    const moved = await post(`${base}/scheduler/api/actions/run-now`, { name: 'soon', ref: row.ref }, { 'x-csrf-token': csrf });
    assert.deepEqual(await moved.json(), { changed: true });
    assert.ok((await engine.getTask('soon', long))!.dueTimeMs <= Date.now());
    const gone = await post(`${base}/scheduler/api/actions/run-now`, { name: 'soon', taskInfo: 'never-added' }, { 'x-csrf-token': csrf });
    assert.deepEqual(await gone.json(), { changed: false });
  });

  it('acts only on POST, only when actions are allowed, and only with the CSRF token and a JSON body', async () => {
    const readOnly = await start({});
    const refused = await post(`${readOnly}/scheduler/api/actions/pause`, { name: 'mail' }, { 'x-csrf-token': await csrfOf(readOnly) });
    assert.deepEqual([refused.status, ((await refused.json()) as { code: string }).code], [403, 'read-only']);

    const base = await start({ allowActions: true });
    const csrf = await csrfOf(base);
    const viaGet = await fetch(`${base}/scheduler/api/actions/pause?name=mail`);
    assert.deepEqual([viaGet.status, viaGet.headers.get('allow')], [405, 'POST']);
    assert.equal((await post(`${base}/scheduler/api/actions/pause`, { name: 'mail' })).status, 403);
    assert.equal((await post(`${base}/scheduler/api/actions/pause`, { name: 'mail' }, { 'x-csrf-token': 'forged' })).status, 403);
    assert.equal((await post(`${base}/scheduler/api/actions/pause`, { name: 'mail' }, { 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' })).status, 403);
    const form = await fetch(`${base}/scheduler/api/actions/pause`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrf }, body: 'name=mail' });
    assert.equal(form.status, 415);
    assert.equal((await engine.getStats()).find((s) => s.name === 'mail')!.paused, false, 'a refused action wrote');
    const bad = await post(`${base}/scheduler/api/actions/pause`, { name: '' }, { 'x-csrf-token': csrf });
    assert.equal(bad.status, 400);
    const paused = await post(`${base}/scheduler/api/actions/pause`, { name: 'mail' }, { 'x-csrf-token': csrf });
    assert.deepEqual(await paused.json(), { changed: true });
    assert.equal((await engine.getStats()).find((s) => s.name === 'mail')!.paused, true);
    await post(`${base}/scheduler/api/actions/resume`, { name: 'mail' }, { 'x-csrf-token': csrf });
    assert.equal((await engine.getStats()).find((s) => s.name === 'mail')!.paused, false);
  });

  it('with a token: refuses requests without it, takes it as a bearer header or once in the address (then as a cookie)', async () => {
    const base = await start({ token: TOKEN, allowActions: true });
    const none = await fetch(`${base}/scheduler/api/overview`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await fetch(`${base}/scheduler/`)).status, 401);
    assert.equal((await fetch(`${base}/scheduler/api/overview`, { headers: { authorization: 'Bearer wrong-token!' } })).status, 401);
    assert.equal((await fetch(`${base}/scheduler/api/overview`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    assert.equal((await fetch(`${base}/scheduler/api/overview?token=${TOKEN}`)).status, 401, 'the address form is for the page only');
    const login = await fetch(`${base}/scheduler/?token=${TOKEN}`, { redirect: 'manual' });
    assert.deepEqual([login.status, login.headers.get('location')], [303, './']);
    const cookie = login.headers.get('set-cookie')!;
    assert.match(cookie, /^rs_dashboard_token=http-test-token; Path=\/scheduler\/; HttpOnly; SameSite=Strict$/);
    const withCookie = { cookie: cookie.split(';')[0] };
    assert.equal((await fetch(`${base}/scheduler/api/overview`, { headers: withCookie })).status, 200);
    const csrf = await csrfOf(base, withCookie);
    assert.equal((await post(`${base}/scheduler/api/actions/pause`, { name: 'mail' }, { 'x-csrf-token': csrf })).status, 401, 'an action without the token');
    assert.equal((await engine.getStats()).find((s) => s.name === 'mail')!.paused, false);
  });

  it("asks the authorize hook about every request, telling reads from actions", async () => {
    const asked: string[] = [];
    const base = await start({
      allowActions: true,
      authorize: (request: IncomingMessage, access) => {
        asked.push(access);
        return access === 'read' || request.headers['x-role'] === 'admin';
      },
    });
    const csrf = await csrfOf(base);
    assert.equal((await post(`${base}/scheduler/api/actions/pause`, { name: 'mail' }, { 'x-csrf-token': csrf })).status, 403);
    const admin = await post(`${base}/scheduler/api/actions/resume`, { name: 'mail' }, { 'x-csrf-token': csrf, 'x-role': 'admin' });
    assert.equal(admin.status, 200);
    assert.deepEqual(asked, ['read', 'action', 'action']);
  });

  it('serves /metrics only when asked', async () => {
    assert.equal((await fetch(`${await start({})}/scheduler/metrics`)).status, 404);
    const metrics = await fetch(`${await start({ metrics: true })}/scheduler/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /redis_scheduler_tasks\{name="mail",state="scheduled"\} 120/);
  });

  it('mounts the way Express and Fastify middleware do: req.url without the mount path, originalUrl with it, next() for the rest', async () => {
    const dashboard = createDashboard(engine, {});
    let passedOn = 0;
    const { server, base } = await listen((request, response) => {
      const original = request.url!;
      if (!original.startsWith('/ops')) return void response.writeHead(200).end('the app');
      Object.assign(request, { originalUrl: original, url: original.slice('/ops'.length) || '/' });
      dashboard(request, response, () => {
        passedOn++;
        response.writeHead(404).end('next');
      });
    });
    servers.push(server);
    const bare = await fetch(`${base}/ops`, { redirect: 'manual' });
    assert.deepEqual([bare.status, bare.headers.get('location')], [308, 'ops/']);
    assert.equal((await fetch(`${base}/ops/`)).status, 200);
    assert.equal((await fetch(`${base}/ops/api/overview`)).status, 200);
    assert.equal(await (await fetch(`${base}/ops/not-ours`)).text(), 'next');
    assert.equal(passedOn, 1);
  });

  it('refuses bad options, naming them', () => {
    assert.throws(() => createDashboard(engine, { basePath: 'scheduler/' }), /basePath must be/);
    assert.throws(() => createDashboard(engine, { refreshMs: 10 }), /refreshMs must be an integer from 500/);
    assert.throws(() => createDashboard(engine, { token: 'short' }), /token must be a string of at least 8 characters/);
    assert.throws(() => createDashboard(engine, { allowActons: true } as Partial<DashboardOptions>), /unknown option "allowActons"/);
  });
});
