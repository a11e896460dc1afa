// The overview (a row per handler name, the charts) and the head of a name's page (its figures,
// pause/resume and the tabs).
const TABS = [
  ['upcoming', 'Upcoming', 'scheduled'],
  ['running', 'Running', 'running'],
  ['dead', 'Dead', 'dead'],
  ['recurring', 'Recurring', 'recurring'],
];

function nameHref(name, tab) {
  return '#/name/' + encodeURIComponent(name) + '/' + (tab || 'upcoming');
}

/** A button that runs an action, or nothing on a read-only dashboard. */
function actionButton(label, action, body, options) {
  if (!settings.allowActions) return null;
  const opts = options || {};
  return el('button', { class: 'btn ' + (opts.kind || ''), type: 'button', 'data-action': action, onclick: () => runAction(action, body, opts.confirm, label) }, label);
}

function pauseCell(s) {
  const badge = s.paused ? el('span', { class: 'badge paused' }, 'paused') : el('span', { class: 'muted' }, 'no');
  const button = s.paused ? actionButton('Resume', 'resume', { name: s.name }) : actionButton('Pause', 'pause', { name: s.name }, { kind: 'quiet' });
  return el('td', { 'data-field': 'paused', 'data-value': String(s.paused) }, badge, ' ', button);
}

function numberCell(field, value, extraClass) {
  return el('td', { class: 'n ' + (extraClass || ''), 'data-field': field, 'data-value': String(value) }, fmtCount(value));
}

function isLate(s) {
  return s.overdue > 0 && s.oldestOverdueMs > settings.lagThresholdMs;
}

function overviewRow(s, nowMs) {
  return el(
    'tr',
    { 'data-name': s.name, class: isLate(s) ? 'late' : '' },
    el('td', { class: 'name' }, el('a', { href: nameHref(s.name) }, s.name)),
    numberCell('scheduled', s.scheduled),
    numberCell('overdue', s.overdue, s.overdue > 0 ? 'warn' : ''),
    el('td', { class: 'n ' + (isLate(s) ? 'lag-late' : ''), 'data-field': 'oldestOverdueMs', 'data-value': String(s.oldestOverdueMs), title: 'age of the oldest overdue task' }, s.overdue > 0 ? fmtDuration(s.oldestOverdueMs) : '-'),
    numberCell('running', s.running),
    numberCell('retrying', s.retrying),
    numberCell('dead', s.dead, s.dead > 0 ? 'bad' : ''),
    pauseCell(s),
    numberCell('recurring', s.recurring),
    el('td', { 'data-field': 'nextDueMs', 'data-value': String(s.nextDueMs) }, s.nextDueMs === null ? '-' : fmtRelative(s.nextDueMs, nowMs)),
  );
}

const OVERVIEW_HEADERS = ['Name', 'Scheduled', 'Overdue', 'Lag', 'Running', 'Retrying', 'Dead', 'Paused', 'Recurring', 'Next due'];

function sumCounts(lists) {
  const total = [];
  for (const counts of lists) counts.forEach((n, i) => (total[i] = (total[i] || 0) + n));
  return total.length ? total : new Array(12).fill(0);
}

function chartsSection(forecastCounts, bucketMs, lagNames, nowMs) {
  const series = lagNames.map((name) => ({ name: name, points: state.lag.get(name) || [] }));
  return el(
    'section',
    { class: 'charts' },
    el('figure', { id: 'due-chart' }, el('figcaption', {}, 'Due over the next hour (' + fmtCount(forecastCounts.reduce((a, b) => a + b, 0)) + ')'), dueChart(forecastCounts, bucketMs)),
    el('figure', { id: 'lag-chart' }, el('figcaption', {}, 'Lag while this page is open'), lagChart(series, settings.lagThresholdMs, LAG_WINDOW_MS, nowMs), legend(lagNames)),
  );
}

function renderOverview(overview, nowMs) {
  const names = overview.stats.map((s) => s.name);
  const charts = chartsSection(sumCounts(Object.values(overview.forecast.byName)), overview.forecast.bucketMs, names.slice(0, 8), nowMs);
  if (overview.stats.length === 0) return [charts, el('p', { class: 'muted' }, 'No handler name has had a task yet.')];
  const table = el(
    'table',
    { class: 'grid overview', id: 'overview' },
    el('thead', {}, el('tr', {}, OVERVIEW_HEADERS.map((h, i) => el('th', { class: i > 0 && i < 7 ? 'n' : '' }, h)))),
    el('tbody', {}, overview.stats.map((s) => overviewRow(s, nowMs))),
  );
  const readOnly = settings.allowActions ? null : el('p', { class: 'muted small' }, 'Read-only: start the dashboard with --allow-actions (allowActions: true) to act.');
  return [charts, table, readOnly];
}

function chip(label, value, extraClass) {
  return el('span', { class: 'chip ' + (extraClass || '') }, el('span', { class: 'muted' }, label + ' '), el('strong', {}, value));
}

function renderNameHead(name, s, forecast, tab, nowMs) {
  const head = el('div', { class: 'name-head' }, el('h1', {}, name));
  if (s) {
    head.appendChild(
      el(
        'div',
        { class: 'chips' },
        chip('scheduled', fmtCount(s.scheduled)),
        chip('overdue', fmtCount(s.overdue), s.overdue > 0 ? 'warn' : ''),
        chip('lag', s.overdue > 0 ? fmtDuration(s.oldestOverdueMs) : '-', isLate(s) ? 'late' : ''),
        chip('running', fmtCount(s.running)),
        chip('retrying', fmtCount(s.retrying)),
        chip('dead', fmtCount(s.dead), s.dead > 0 ? 'bad' : ''),
        chip('recurring', fmtCount(s.recurring)),
        s.paused ? el('span', { class: 'badge paused' }, 'paused') : null,
        s.paused ? actionButton('Resume', 'resume', { name: name }) : actionButton('Pause', 'pause', { name: name }, { kind: 'quiet' }),
      ),
    );
  } else {
    head.appendChild(el('p', { class: 'muted' }, 'No figures for this name (it has had no task).'));
  }
  const tabs = el(
    'nav',
    { class: 'tabs' },
    TABS.map(([id, label, field]) => el('a', { href: nameHref(name, id), class: id === tab ? 'active' : '', 'data-tab': id }, label, s ? ' (' + fmtCount(s[field]) + ')' : '')),
  );
  const chart = forecast ? el('figure', { class: 'mini' }, el('figcaption', {}, 'Due over the next hour'), dueChart(forecast, state.overview.forecast.bucketMs)) : null;
  return [el('div', { class: 'head-row' }, head, chart), tabs];
}
