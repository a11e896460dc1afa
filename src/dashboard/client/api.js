// Talking to the dashboard's server: JSON reads with a deadline (the page never waits forever),
// actions as POST with the CSRF token, and the banner that says what is wrong.
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Longest wait for one reply; the server itself gives up on Redis sooner (requestTimeoutMs). */
const FETCH_TIMEOUT_MS = 15000;

async function request(path, init) {
  let response;
  try {
    response = await fetch(path, { credentials: 'same-origin', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), ...init });
  } catch (err) {
    throw new ApiError(0, 'server-unreachable', 'the dashboard server does not answer (' + (err && err.name === 'TimeoutError' ? 'timed out' : 'connection failed') + ')');
  }
  const type = response.headers.get('content-type') || '';
  const body = type.startsWith('application/json') ? await response.json() : await response.text();
  if (!response.ok) {
    const message = body && body.error ? body.error : response.status + ' ' + response.statusText;
    throw new ApiError(response.status, (body && body.code) || 'failed', message);
  }
  return body;
}

function getJson(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) if (value !== undefined && value !== null) query.set(key, value);
  const search = query.toString();
  return request(search ? path + '?' + search : path);
}

function getText(path, params) {
  return request(path + '?' + new URLSearchParams(params).toString());
}

function postAction(action, body) {
  return request('api/actions/' + action, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': settings.csrfToken },
    body: JSON.stringify(body),
  });
}

/** How an action names a task: its taskInfo, or the ref of one listed cut short. */
function taskBody(name, row) {
  return row.truncated ? { name: name, ref: row.ref } : { name: name, taskInfo: row.taskInfo };
}

/** Shows what went wrong above the page (the figures below stay, marked stale). */
function showProblem(err) {
  const banner = document.getElementById('banner');
  let text;
  if (err.code === 'redis-unreachable') text = 'Redis unreachable: ' + err.message.replace(/^Redis unreachable: /, '') + '. Showing the last figures; trying again.';
  else if (err.code === 'server-unreachable') text = 'Dashboard server unreachable: ' + err.message + '. Trying again.';
  else if (err.status === 401) text = 'This dashboard needs its token: open it with ?token=<token>.';
  else text = 'Error: ' + err.message;
  banner.textContent = text;
  banner.className = 'banner ' + (err.code === 'redis-unreachable' || err.code === 'server-unreachable' ? 'down' : 'error');
  banner.dataset.code = err.code || '';
  banner.hidden = false;
  document.body.classList.add('stale');
}

function clearProblem() {
  const banner = document.getElementById('banner');
  banner.hidden = true;
  banner.dataset.code = '';
  document.body.classList.remove('stale');
}

/** A short message under the header (an action's outcome). */
function toast(text, isError) {
  const status = document.getElementById('status');
  status.textContent = text;
  status.className = 'status ' + (isError ? 'error' : 'ok');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    status.textContent = '';
    status.className = 'status';
  }, 6000);
}
