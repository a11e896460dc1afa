// The page's life: the route in the address (#/, #/recurring, #/name/<name>/<tab>), a refresh every
// refreshMs (one at a time, never piling up), the lag history, actions, and the lease countdowns.
const LAG_WINDOW_MS = 15 * 60000;

const state = {
  route: parseRoute(),
  overview: null,
  data: null,
  /** Redis time minus this browser's clock, from the last overview. */
  clockOffset: 0,
  /** name -> [[atMs, lagMs], ...] over the last LAG_WINDOW_MS. */
  lag: new Map(),
  /** Cursors of the pages seen so far in this list; the last is the current page's. */
  cursors: [undefined],
  /** Opened error details, kept across refreshes. */
  open: new Set(),
  refreshing: false,
  again: false,
  timer: undefined,
  lastOkMs: 0,
};

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  if (parts[0] === 'name' && parts[1]) {
    let name;
    try {
      name = decodeURIComponent(parts[1]);
    } catch (err) {
      return { view: 'overview' };
    }
    const tab = TABS.some((t) => t[0] === parts[2]) ? parts[2] : 'upcoming';
    return { view: 'name', name: name, tab: tab };
  }
  if (parts[0] === 'recurring') return { view: 'recurring' };
  return { view: 'overview' };
}

function serverNow() {
  return Date.now() + state.clockOffset;
}

function currentKey() {
  return JSON.stringify([state.route, state.cursors[state.cursors.length - 1] || null]);
}

function loadData(route) {
  if (route.view === 'recurring') return getJson('api/recurring');
  if (route.view !== 'name') return Promise.resolve(null);
  if (route.tab === 'recurring') return getJson('api/recurring', { name: route.name });
  const listed = { upcoming: 'scheduled', running: 'running', dead: 'dead' }[route.tab];
  return getJson('api/tasks', { name: route.name, state: listed, cursor: state.cursors[state.cursors.length - 1] });
}

function recordLag(overview) {
  const cutoff = overview.nowMs - LAG_WINDOW_MS;
  for (const s of overview.stats) {
    const points = (state.lag.get(s.name) || []).filter((p) => p[0] >= cutoff);
    points.push([overview.nowMs, s.overdue > 0 ? s.oldestOverdueMs : 0]);
    state.lag.set(s.name, points);
  }
}

async function refresh() {
  if (state.refreshing) {
    state.again = true;
    return;
  }
  state.refreshing = true;
  clearTimeout(state.timer);
  const key = currentKey();
  try {
    const [overview, data] = await Promise.all([getJson('api/overview'), loadData(state.route)]);
    if (key === currentKey()) {
      state.overview = overview;
      state.data = data;
      state.clockOffset = overview.nowMs - Date.now();
      state.lastOkMs = Date.now();
      recordLag(overview);
      clearProblem();
      render();
    }
  } catch (err) {
    if (key === currentKey()) showProblem(err);
  } finally {
    state.refreshing = false;
    if (state.again) {
      state.again = false;
      refresh();
    } else {
      state.timer = setTimeout(refresh, settings.refreshMs);
    }
  }
}

function render() {
  const overview = state.overview;
  if (!overview) return;
  const nowMs = serverNow();
  const route = state.route;
  let content;
  if (route.view === 'name') {
    const stats = overview.stats.find((s) => s.name === route.name);
    content = [renderNameHead(route.name, stats, overview.forecast.byName[route.name], route.tab, nowMs), renderTab(route.name, route.tab, state.data, nowMs)];
  } else if (route.view === 'recurring') {
    content = [el('h1', {}, 'Recurring tasks'), state.data ? recurringTable(state.data, nowMs, true) : el('p', { class: 'muted' }, 'Loading…')];
  } else {
    content = renderOverview(overview, nowMs);
  }
  const main = document.getElementById('main');
  const fragment = document.createDocumentFragment();
  append(fragment, [content]);
  main.replaceChildren(fragment);
  document.getElementById('updated').textContent = 'updated ' + fmtTime(overview.nowMs).slice(11) + ' UTC';
  document.body.dataset.view = route.view === 'name' ? route.tab : route.view;
}

function turnPage(step, cursor) {
  if (step > 0) state.cursors.push(cursor);
  else if (state.cursors.length > 1) state.cursors.pop();
  state.data = null;
  render();
  refresh();
}

function describeResult(label, result) {
  if ('requeued' in result) return label + ': ' + result.requeued + ' task(s) requeued';
  if ('purged' in result) return label + ': ' + result.purged + ' task(s) deleted';
  return result.changed ? label + ': done' : label + ': nothing to do (the task or name has moved on)';
}

async function runAction(action, body, confirmText, label) {
  if (confirmText && !window.confirm(confirmText)) return;
  try {
    toast(describeResult(label, await postAction(action, body)), false);
  } catch (err) {
    toast(label + ' failed: ' + err.message, true);
  }
  refresh();
}

/** Lease countdowns move every second between refreshes. */
function tick() {
  for (const cell of document.querySelectorAll('[data-expires]')) {
    cell.replaceChildren(leaseText(Number(cell.dataset.expires)));
  }
  if (state.lastOkMs && document.body.classList.contains('stale')) {
    document.getElementById('updated').textContent = 'stale for ' + fmtDuration(Date.now() - state.lastOkMs);
  }
}

window.addEventListener('hashchange', () => {
  state.route = parseRoute();
  state.cursors = [undefined];
  state.data = null;
  closeViewer();
  render();
  refresh();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closeViewer();
});
setInterval(tick, 1000);
refresh();
