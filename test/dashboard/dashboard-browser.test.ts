// Issue 13: the dashboard in a real headless Chromium (Debian's package, driven by playwright-core)
// against a private redis-server holding tasks in every state, made by real node processes
// (fleet.ts). Screenshots of each view go to output/dashboard/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createDashboard, type DashboardOptions } from '../../src/engine';
import type { HandlerStats } from '../../src/interfaces/redis_scheduler/beta/types';
import { eventually } from '../support/nodes';
import { launchChromium, SCREENSHOTS } from './browser';
import { DOOMED, HUGE_TASK, PREFIX, XSS_TASK, startFleet, type Fleet } from './fleet';

// The page's globals, in the functions run in the browser (this project compiles without the DOM lib).
declare const document: { getElementById(id: string): { textContent: string | null } | null };
declare const window: Record<string, unknown>;
declare const location: { hash: string };

const TOKEN = 'dashboard-test-token';
const CLI = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
const COUNTS = ['scheduled', 'overdue', 'running', 'retrying', 'dead', 'recurring'] as const;

async function serve(fleet: Fleet, options: Partial<DashboardOptions>): Promise<{ server: Server; url: string }> {
  const dashboard = createDashboard(fleet.operator, { basePath: '/ops', token: TOKEN, requestTimeoutMs: 1_500, ...options });
  const server = createServer((request, response) => {
    if (request.url?.startsWith('/ops')) dashboard(request, response);
    else response.writeHead(404).end('not the dashboard');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ops/` };
}

/** The overview table as the page shows it: name -> field -> { text, value }. */
async function overviewOnPage(page: Page): Promise<Record<string, Record<string, { text: string; value: string }>>> {
  type Cell = { dataset: Record<string, string>; textContent: string };
  type Row = Cell & { querySelectorAll(selector: string): Iterable<Cell> };
  return page.$$eval('#overview tbody tr', (rows) =>
    Object.fromEntries(
      (rows as unknown as Row[]).map((row) => [
        row.dataset.name,
        Object.fromEntries([...row.querySelectorAll('td[data-field]')].map((td) => [td.dataset.field, { text: td.textContent.trim(), value: td.dataset.value }])),
      ]),
    ),
  );
}

/** Another process's view of the stats: the CLI, on its own connection. */
function statsFromAnotherProcess(redisUrl: string): HandlerStats[] {
  const run = spawnSync(process.execPath, [CLI, '--url', redisUrl, '--prefix', PREFIX, '--json', 'stats'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as HandlerStats[];
}

describe('dashboard: in a real Chromium, against tasks in every state', function () {
  this.timeout(120_000);
  let fleet: Fleet;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let site: { server: Server; url: string };
  const pageErrors: string[] = [];

  const statsOf = async (name: string) => (await fleet.operator.getStats()).find((s) => s.name === name)!;
  const shot = (file: string) => page.screenshot({ path: join(SCREENSHOTS, file), fullPage: true });
  const open = async (hash: string) => {
    await page.evaluate((h) => (location.hash = h), hash);
    await page.waitForSelector('main table, main p.empty');
  };

  before(async () => {
    [fleet, browser] = await Promise.all([startFleet(), launchChromium()]);
    site = await serve(fleet, { allowActions: true, metrics: true, pageSize: 20 });
    context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // The token once in the address: the dashboard sets its cookie and drops it from the address.
    const response = await page.goto(`${site.url}?token=${TOKEN}`);
    assert.equal(response?.status(), 200);
    assert.equal(page.url(), site.url);
    await page.evaluate(() => (window.__mark = 1));
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => site?.server.close(resolve));
    await fleet?.close();
  });

  afterEach(() => assert.deepEqual(pageErrors, [], 'the page threw'));

  it("shows a row per handler name whose figures equal getStats, the lag over the threshold highlighted", async () => {
    await page.waitForSelector('#overview tbody tr[data-name="reports"]');
    let compared = false;
    await eventually(async () => {
      const before = await fleet.operator.getStats();
      const shown = await overviewOnPage(page);
      const after = await fleet.operator.getStats();
      const key = (stats: HandlerStats[]) => JSON.stringify(stats.map((s) => [s.name, s.paused, ...COUNTS.map((field) => s[field])]));
      if (key(before) !== key(after)) return false; // something moved meanwhile: read again
      assert.deepEqual(Object.keys(shown), after.map((s) => s.name));
      for (const s of after) {
        for (const field of COUNTS) {
          if (shown[s.name][field].text.replace(/,/g, '') !== String(s[field])) return false; // not refreshed yet
        }
        assert.equal(shown[s.name].paused.value, String(s.paused));
      }
      compared = true;
      return true;
    }, 10_000, 'the page to show the figures of getStats');
    assert.ok(compared);
    const emails = await statsOf('emails');
    assert.ok(emails.oldestOverdueMs > 60_000);
    assert.equal(await page.getAttribute('tr[data-name="emails"]', 'class'), 'late');
    assert.equal(await page.getAttribute('tr[data-name="reports"]', 'class'), '');
    assert.match(await page.textContent('tr[data-name="archive"] td[data-field="paused"]') ?? '', /paused/);
    // The lag chart gathers a few points, then the main screenshot.
    await page.waitForTimeout(4_500);
    assert.ok((await page.$$('#lag-chart polyline')).length >= 5);
    assert.equal((await page.$$('#due-chart rect')).length, 12);
    await shot('overview.png');
  });

  it("lists a name's upcoming tasks; markup in a taskInfo shows as text and runs nothing; a 1 MiB taskInfo is cut, with a way to see it all", async () => {
    await open('#/name/emails/upcoming');
    const texts = await page.$$eval('#upcoming code.info', (cells) => cells.map((cell) => cell.textContent));
    assert.ok(texts.includes(XSS_TASK), 'the taskInfo holding <script> is shown as its text');
    assert.equal(await page.evaluate(() => window.__xss), undefined, 'a script of a taskInfo ran');
    assert.equal(await page.$$eval('main script, main img', (nodes) => nodes.length), 0);
    const huge = page.locator('#upcoming tr', { hasText: 'first 1,000 of 1,048,576 characters' });
    assert.equal(await huge.count(), 1);
    assert.ok(((await huge.locator('code.info').textContent()) ?? '').length <= 1_001);
    await shot('upcoming.png');
    await huge.getByRole('button', { name: 'Show all' }).click();
    await page.waitForFunction(() => document.getElementById('full-taskinfo')?.textContent?.startsWith('{"blob"'));
    assert.equal(await page.textContent('#full-taskinfo'), HUGE_TASK);
    await page.screenshot({ path: join(SCREENSHOTS, 'taskinfo-viewer.png') });
    await page.keyboard.press('Escape');
    assert.equal(await page.isHidden('#viewer'), true);
    // 20 a page: the next page goes on in due order, and the previous one comes back
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.waitForSelector('.pager:has-text("page 2")');
    await page.waitForSelector('#upcoming');
    assert.match((await page.locator('#upcoming tbody tr').first().textContent()) ?? '', /user13@/);
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.waitForSelector('.pager:has-text("page 1")');
    await page.waitForSelector('#upcoming');
    assert.match((await page.locator('#upcoming tbody tr').first().textContent()) ?? '', /late4@/);
  });

  it('runs a scheduled task now and deletes one, from its row', async () => {
    await open('#/name/emails/upcoming');
    const target = '{"to":"user4@example.com","template":"welcome"}';
    const row = page.locator('#upcoming tr', { hasText: 'user4@' });
    await row.getByRole('button', { name: 'Run now' }).click();
    await eventually(async () => ((await fleet.operator.getTask('emails', target))?.dueTimeMs ?? Infinity) <= Date.now(), 5_000, 'the task to be due now');
    // due now: after the overdue ones, before every future one
    await eventually(async () => /user4@/.test((await page.locator('#upcoming tbody tr').nth(5).textContent()) ?? ''), 5_000, 'the page to show it due now');
    await page.locator('#upcoming tr', { hasText: 'user3@' }).getByRole('button', { name: 'Delete' }).click();
    await eventually(async () => (await fleet.operator.getTask('emails', '{"to":"user3@example.com","template":"welcome"}')) === null, 5_000, 'the deletion');
    await eventually(async () => (await page.locator('#upcoming tr', { hasText: 'user3@' }).count()) === 0, 5_000, 'the row to go');
  });

  it('lists running tasks with the node holding each, the attempt and a countdown; an expired lease is flagged', async () => {
    await open('#/name/reports/running');
    const rows = page.locator('#running tbody tr');
    assert.equal(await rows.count(), 3);
    const node = (await rows.first().locator('td.mono').textContent())?.trim();
    assert.match(node ?? '', /^[\w-]{8}$/);
    assert.match((await rows.first().locator('td.lease').textContent()) ?? '', /^expires in \d/);
    await shot('running.png');
    await open('#/name/crashy/running');
    assert.match((await page.textContent('#running td.lease')) ?? '', /lease expired .* ago/);
    assert.equal(await page.getAttribute('#running tbody tr', 'class'), 'expired');
    await shot('running-expired.png');
  });

  it('retrying a dead task moves it, and the page shows it without a reload', async () => {
    await open('#/name/doomed/dead');
    assert.equal(await page.locator('#dead tbody tr').count(), DOOMED.length);
    await page.locator('#dead tbody tr').first().locator('summary').click();
    assert.match((await page.locator('#dead pre.stack').first().textContent()) ?? '', /planned failure on attempt 1\n\s+at /);
    await shot('dead.png');
    const [first] = (await fleet.operator.listTasks('doomed', { state: 'dead' })).tasks;
    await page.locator('#dead tr', { hasText: first.taskInfo }).getByRole('button', { name: 'Retry' }).click();
    await eventually(async () => (await fleet.operator.getTask('doomed', first.taskInfo))?.state === 'scheduled', 5_000, 'the retry');
    await eventually(async () => (await page.locator('#dead tbody tr').count()) === DOOMED.length - 1, 5_000, 'the dead list to lose it');
    await eventually(async () => /Dead \(2\)/.test((await page.textContent('nav.tabs')) ?? ''), 5_000, 'the dead count');
    await open('#/name/doomed/upcoming');
    assert.equal(await page.locator('#upcoming tr', { hasText: first.taskInfo }).count(), 1);
    assert.equal(await page.evaluate(() => window.__mark), 1, 'the page was reloaded');
  });

  it("pausing a name on the page shows on another process's stats, and resuming too", async () => {
    await open('#/');
    await page.locator('tr[data-name="emails"]').getByRole('button', { name: 'Pause' }).click();
    await page.waitForSelector('tr[data-name="emails"] .badge.paused');
    assert.equal(statsFromAnotherProcess(fleet.redis.url).find((s) => s.name === 'emails')?.paused, true);
    await page.locator('tr[data-name="emails"]').getByRole('button', { name: 'Resume' }).click();
    await page.waitForSelector('tr[data-name="emails"] button[data-action="pause"]');
    assert.equal(statsFromAnotherProcess(fleet.redis.url).find((s) => s.name === 'emails')?.paused, false);
  });

  it('lists recurring tasks with their schedule, next and last run with its outcome, and removes one', async () => {
    await open('#/recurring');
    const text = (await page.textContent('#recurring')) ?? '';
    assert.match(text, /cron "30 2 \* \* \*" \(Europe\/Paris\)/);
    assert.match(text, /every 15m 00s/);
    const ping = page.locator('#recurring tr', { hasText: 'ping' });
    assert.match((await ping.textContent()) ?? '', /succeeded/);
    await shot('recurring.png');
    await page.locator('#recurring tr', { hasText: 'purge-sessions' }).getByRole('button', { name: 'Remove' }).click();
    await eventually(async () => (await fleet.operator.getRecurringTasks('cleanup')).length === 1, 5_000, 'the removal');
    await eventually(async () => (await page.locator('#recurring tr', { hasText: 'purge-sessions' }).count()) === 0, 5_000, 'the row to go');
  });

  it('refuses actions without the token, without the CSRF token, and on a read-only dashboard', async () => {
    const csrf = await page.evaluate(() => JSON.parse(document.getElementById('settings')!.textContent!).csrfToken as string);
    const stranger = await browser.newContext();
    try {
      assert.equal((await (await stranger.newPage()).goto(site.url))?.status(), 401);
      const refused = await stranger.request.post(`${site.url}api/actions/pause`, { data: { name: 'reports' }, headers: { 'x-csrf-token': csrf } });
      assert.equal(refused.status(), 401);
    } finally {
      await stranger.close();
    }
    // The page's own origin and cookie, but no CSRF token: refused.
    const status = await page.evaluate(async () => (await fetch('api/actions/pause', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"reports"}' })).status);
    assert.equal(status, 403);
    const readOnly = await serve(fleet, {});
    try {
      const viewer = await context.newPage();
      await viewer.goto(`${readOnly.url}?token=${TOKEN}`);
      await viewer.waitForSelector('#overview');
      assert.equal(await viewer.locator('button[data-action]').count(), 0, 'a read-only page shows action buttons');
      const readOnlyCsrf = await viewer.evaluate(() => JSON.parse(document.getElementById('settings')!.textContent!).csrfToken as string);
      const answer = await viewer.evaluate(async (token) => {
        const response = await fetch('api/actions/pause', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: '{"name":"reports"}' });
        return { status: response.status, body: (await response.json()) as { code: string } };
      }, readOnlyCsrf);
      assert.deepEqual([answer.status, answer.body.code], [403, 'read-only']);
      await viewer.close();
    } finally {
      await new Promise((resolve) => readOnly.server.close(resolve));
    }
    assert.equal((await statsOf('reports')).paused, false);
  });

  it('says "Redis unreachable" when Redis goes away instead of freezing, and recovers', async () => {
    await open('#/');
    await fleet.redis.stop();
    await page.waitForSelector('#banner:not([hidden])', { timeout: 15_000 });
    assert.match((await page.textContent('#banner')) ?? '', /^Redis unreachable/);
    assert.equal(await page.locator('#overview').count(), 1, 'the last figures stay on the page');
    await shot('redis-unreachable.png');
    await fleet.redis.launch();
    await page.waitForSelector('#banner', { state: 'hidden', timeout: 20_000 });
  });
});
