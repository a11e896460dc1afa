// The page's building blocks: elements made with text nodes only (never innerHTML, so every name,
// taskInfo and error shows as text), SVG elements, and the formats of times, durations and counts.
const settings = JSON.parse(document.getElementById('settings').textContent);
const SVG_NS = 'http://www.w3.org/2000/svg';

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

function setAttributes(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'hidden' || key === 'disabled') node[key] = Boolean(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
}

/** An HTML element: el('td', { class: 'n' }, 'text', child, [more]). Strings become text nodes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttributes(node, attrs);
  append(node, children);
  return node;
}

/** An SVG element, attributes as given. */
function svgEl(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttributes(node, attrs);
  append(node, children);
  return node;
}

function fmtCount(n) {
  return Number(n).toLocaleString('en-US');
}

/** Unix ms as "2026-11-27 15:04:05" (UTC), or "-". */
function fmtTime(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

/** A duration, short: 850ms, 12.3s, 5m 03s, 2h 10m, 3d 4h. */
function fmtDuration(ms) {
  ms = Math.max(0, ms);
  if (ms < 1000) return Math.round(ms) + 'ms';
  if (ms < 60000) return (ms / 1000).toFixed(1) + 's';
  const s = Math.floor(ms / 1000);
  if (s < 3600) return Math.floor(s / 60) + 'm ' + String(s % 60).padStart(2, '0') + 's';
  if (s < 86400) return Math.floor(s / 3600) + 'h ' + String(Math.floor(s / 60) % 60).padStart(2, '0') + 'm';
  return Math.floor(s / 86400) + 'd ' + (Math.floor(s / 3600) % 24) + 'h';
}

/** "in 5m 03s" or "12.3s ago", from Redis time now. */
function fmtRelative(ms, nowMs) {
  if (ms === null || ms === undefined) return '';
  return ms >= nowMs ? 'in ' + fmtDuration(ms - nowMs) : fmtDuration(nowMs - ms) + ' ago';
}

/** A time cell: the UTC time, and how far from now. */
function timeCell(ms, nowMs, attrs) {
  return el('td', attrs || {}, el('div', {}, fmtTime(ms)), el('div', { class: 'muted small' }, fmtRelative(ms, nowMs)));
}

function firstLine(text) {
  const end = text.indexOf('\n');
  return end < 0 ? text : text.slice(0, end);
}
