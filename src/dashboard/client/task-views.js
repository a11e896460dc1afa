// A name's task lists (upcoming, running, dead, recurring), paging, and the viewer that shows the
// whole of a long taskInfo.
function taskInfoCell(name, row) {
  const cell = el('td', { class: 'taskinfo' }, el('code', { class: 'info' }, row.taskInfo, row.truncated ? '…' : ''));
  if (row.truncated) {
    cell.appendChild(
      el(
        'div',
        { class: 'more small' },
        el('span', { class: 'muted' }, 'first ' + fmtCount(row.taskInfo.length) + ' of ' + fmtCount(row.length) + ' characters '),
        el('button', { class: 'link', type: 'button', onclick: () => showAll(name, row) }, 'Show all'),
        ' ',
        el('a', { href: 'api/task-info?ref=' + encodeURIComponent(row.ref) + '&download=1' }, 'Download'),
      ),
    );
  }
  return cell;
}

function table(id, headers, rows, emptyText) {
  if (rows.length === 0) return el('p', { class: 'muted empty', id: id }, emptyText);
  return el('table', { class: 'grid tasks', id: id }, el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))), el('tbody', {}, rows));
}

function actionsCell(buttons) {
  return settings.allowActions ? el('td', { class: 'actions' }, buttons) : null;
}

function withActions(headers) {
  return settings.allowActions ? headers.concat(['']) : headers;
}

function upcomingTable(name, data, nowMs) {
  const rows = data.tasks.map((row) =>
    el(
      'tr',
      { 'data-task': row.taskInfo },
      taskInfoCell(name, row),
      timeCell(row.dueTimeMs, nowMs, { class: row.dueTimeMs <= nowMs ? 'warn' : '' }),
      el('td', { class: 'n' }, String(row.attempt)),
      actionsCell([actionButton('Run now', 'run-now', taskBody(name, row)), actionButton('Delete', 'delete', taskBody(name, row), { kind: 'danger', confirm: 'Delete this task?' })]),
    ),
  );
  return table('upcoming', withActions(['taskInfo', 'Due', 'Attempt']), rows, 'No upcoming task.');
}

function leaseCell(row) {
  return el('td', { class: 'lease', 'data-expires': String(row.leaseExpiresMs) }, leaseText(row.leaseExpiresMs));
}

/** The countdown to a lease's expiry, or the flag of an expired one (updated every second). */
function leaseText(expiresMs) {
  const left = expiresMs - serverNow();
  return left > 0 ? 'expires in ' + fmtDuration(left) : el('span', { class: 'badge bad' }, 'lease expired ' + fmtDuration(-left) + ' ago');
}

function runningTable(name, data, nowMs) {
  const rows = data.tasks.map((row) =>
    el(
      'tr',
      { 'data-task': row.taskInfo, class: row.leaseExpiresMs <= nowMs ? 'expired' : '' },
      taskInfoCell(name, row),
      el('td', { class: 'mono' }, row.node || '?'),
      el('td', { class: 'n' }, String(row.attempt)),
      timeCell(row.dueTimeMs, nowMs),
      leaseCell(row),
      actionsCell([actionButton('Cancel', 'delete', taskBody(name, row), { kind: 'danger', confirm: 'Cancel this task? Its handler is signalled and it is not retried.' })]),
    ),
  );
  const expired = data.tasks.some((row) => row.leaseExpiresMs <= nowMs)
    ? el('p', { class: 'muted small' }, 'An expired lease means its node stopped (crashed, or lost Redis): the figures count that task as scheduled and overdue, and the next claim of a node handling this name takes it back (a used attempt).')
    : null;
  return [table('running', withActions(['taskInfo', 'Node', 'Attempt', 'Due', 'Lease']), rows, 'No task is running.'), expired];
}

function errorCell(row) {
  const key = 'err:' + (row.ref || row.taskInfo);
  const details = el(
    'details',
    { open: state.open.has(key), ontoggle: (event) => (event.target.open ? state.open.add(key) : state.open.delete(key)) },
    el('summary', {}, firstLine(row.error || '(no error recorded)')),
    el('pre', { class: 'stack' }, row.error || '', row.errorTruncated ? '\n…' : ''),
  );
  return el('td', { class: 'error' }, details);
}

function deadTable(name, data, nowMs) {
  const rows = data.tasks.map((row) =>
    el(
      'tr',
      { 'data-task': row.taskInfo },
      taskInfoCell(name, row),
      el('td', { class: 'n' }, String(row.attempt)),
      timeCell(row.diedAtMs, nowMs),
      errorCell(row),
      actionsCell([actionButton('Retry', 'retry', taskBody(name, row)), actionButton('Delete', 'delete', taskBody(name, row), { kind: 'danger', confirm: 'Delete this dead task?' })]),
    ),
  );
  const bulk =
    settings.allowActions && data.tasks.length > 0
      ? el(
          'div',
          { class: 'bulk' },
          actionButton('Retry all', 'retry-all', { name: name }, { confirm: 'Requeue every dead task of ' + name + '?' }),
          actionButton('Purge', 'purge', { name: name }, { kind: 'danger', confirm: 'Delete every dead task of ' + name + '?' }),
        )
      : null;
  return [bulk, table('dead', withActions(['taskInfo', 'Attempts', 'Died', 'Error']), rows, 'No dead task.')];
}

function scheduleText(schedule) {
  if (schedule.cron !== undefined) return 'cron "' + schedule.cron + '" (' + (schedule.timezone || 'UTC') + ')';
  return 'every ' + fmtDuration(schedule.everyMs) + (schedule.startAtMs !== undefined ? ' from ' + fmtTime(schedule.startAtMs) : '');
}

function recurringTable(data, nowMs, withName) {
  const rows = data.tasks.map((row) =>
    el(
      'tr',
      { 'data-task': row.taskInfo },
      withName ? el('td', { class: 'name' }, el('a', { href: nameHref(row.name, 'recurring') }, row.name)) : null,
      taskInfoCell(row.name, row),
      el('td', {}, scheduleText(row.schedule)),
      row.nextDueMs === null ? el('td', { class: 'muted' }, 'running or ending') : timeCell(row.nextDueMs, nowMs),
      el(
        'td',
        {},
        row.lastRunMs === null ? el('span', { class: 'muted' }, 'not yet') : [el('div', {}, fmtTime(row.lastRunMs)), el('span', { class: 'badge ' + (row.lastOutcome === 'dead' ? 'bad' : 'good') }, row.lastOutcome)],
      ),
      el('td', { class: 'n' }, fmtCount(row.coalescedTicks)),
      actionsCell([actionButton('Remove', 'delete', taskBody(row.name, row), { kind: 'danger', confirm: 'Remove this recurring task (its schedule and pending tick)?' })]),
    ),
  );
  const headers = (withName ? ['Name'] : []).concat(['taskInfo', 'Schedule', 'Next run', 'Last run', 'Coalesced']);
  const more = data.total > data.tasks.length ? el('p', { class: 'muted small' }, 'Showing ' + data.tasks.length + ' of ' + fmtCount(data.total) + '.') : null;
  return [table('recurring', withActions(headers), rows, 'No recurring task.'), more];
}

function pager(data) {
  const page = state.cursors.length;
  if (page === 1 && !data.cursor) return null;
  return el(
    'div',
    { class: 'pager' },
    el('button', { class: 'btn quiet', type: 'button', disabled: page === 1, onclick: () => turnPage(-1) }, '← Previous'),
    el('span', { class: 'muted' }, ' page ' + page + ' '),
    el('button', { class: 'btn quiet', type: 'button', disabled: !data.cursor, onclick: () => turnPage(+1, data.cursor) }, 'Next →'),
  );
}

function renderTab(name, tab, data, nowMs) {
  if (!data) return el('p', { class: 'muted' }, 'Loading…');
  if (tab === 'recurring') return recurringTable(data, nowMs, false);
  const list = tab === 'upcoming' ? upcomingTable(name, data, nowMs) : tab === 'running' ? runningTable(name, data, nowMs) : deadTable(name, data, nowMs);
  return [list, pager(data)];
}

/** Opens the viewer on the whole taskInfo of a row listed cut short. */
async function showAll(name, row) {
  const viewer = document.getElementById('viewer');
  const text = el('pre', { class: 'full', id: 'full-taskinfo' }, 'Loading…');
  viewer.replaceChildren(
    el(
      'div',
      { class: 'viewer-box', role: 'dialog', 'aria-label': 'taskInfo' },
      el(
        'div',
        { class: 'viewer-head' },
        el('strong', {}, 'taskInfo of ', name),
        el('span', { class: 'muted' }, ' ' + fmtCount(row.length) + ' characters '),
        el('a', { href: 'api/task-info?ref=' + encodeURIComponent(row.ref) + '&download=1' }, 'Download'),
        el('button', { class: 'btn quiet', type: 'button', onclick: closeViewer }, 'Close'),
      ),
      text,
    ),
  );
  viewer.hidden = false;
  try {
    text.textContent = await getText('api/task-info', { ref: row.ref });
  } catch (err) {
    text.textContent = 'Could not load it: ' + err.message;
  }
}

function closeViewer() {
  const viewer = document.getElementById('viewer');
  viewer.hidden = true;
  viewer.replaceChildren();
}
