// Inline SVG charts: the tasks due over the next hour (bars) and the lag while the page is open
// (one line per name, the threshold dashed).
const CHART_W = 420;
const CHART_H = 140;
const PAD = { left: 44, right: 8, top: 10, bottom: 22 };
const COLORS = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#dc2626', '#4b5563'];

function chartFrame(label, maxLabel) {
  const chart = svgEl('svg', { class: 'chart', viewBox: '0 0 ' + CHART_W + ' ' + CHART_H, role: 'img', 'aria-label': label });
  chart.appendChild(svgEl('line', { x1: PAD.left, y1: CHART_H - PAD.bottom, x2: CHART_W - PAD.right, y2: CHART_H - PAD.bottom, class: 'axis' }));
  chart.appendChild(svgEl('line', { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: CHART_H - PAD.bottom, class: 'axis' }));
  chart.appendChild(svgEl('text', { x: PAD.left - 4, y: PAD.top + 8, class: 'tick', 'text-anchor': 'end' }, maxLabel));
  chart.appendChild(svgEl('text', { x: PAD.left - 4, y: CHART_H - PAD.bottom, class: 'tick', 'text-anchor': 'end' }, '0'));
  return chart;
}

/** Bars of `counts` (tasks due per slice of `bucketMs` from now). */
function dueChart(counts, bucketMs) {
  const max = Math.max(1, ...counts);
  const total = counts.reduce((sum, n) => sum + n, 0);
  const chart = chartFrame('Tasks due over the next ' + fmtDuration(bucketMs * counts.length) + ': ' + fmtCount(total), fmtCount(max));
  const plotW = CHART_W - PAD.left - PAD.right;
  const plotH = CHART_H - PAD.top - PAD.bottom;
  const slot = plotW / counts.length;
  counts.forEach((n, i) => {
    const h = (n / max) * plotH;
    const minutes = (m) => Math.round((m * bucketMs) / 60000);
    const bar = svgEl('rect', { x: PAD.left + i * slot + 2, y: CHART_H - PAD.bottom - h, width: Math.max(1, slot - 4), height: h, class: 'bar' });
    bar.appendChild(svgEl('title', {}, 'in ' + minutes(i) + '–' + minutes(i + 1) + ' min: ' + fmtCount(n) + ' task(s)'));
    chart.appendChild(bar);
    if (i % 3 === 2) {
      chart.appendChild(svgEl('text', { x: PAD.left + (i + 1) * slot, y: CHART_H - 6, class: 'tick', 'text-anchor': 'end' }, '+' + minutes(i + 1) + 'm'));
    }
  });
  return chart;
}

/**
 * Lines of the lag per name (points [atMs, lagMs]) with the threshold, over the time the page has
 * been open: at least a minute, at most `maxWindowMs`.
 */
function lagChart(series, thresholdMs, maxWindowMs, nowMs) {
  const first = Math.min(nowMs, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const windowMs = Math.max(60000, Math.min(maxWindowMs, nowMs - first));
  const max = Math.max(thresholdMs * 1.25, 1000, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const chart = chartFrame('Lag (oldest overdue task) over the last ' + fmtDuration(windowMs), fmtDuration(max));
  const plotW = CHART_W - PAD.left - PAD.right;
  const plotH = CHART_H - PAD.top - PAD.bottom;
  const x = (t) => PAD.left + Math.max(0, Math.min(1, 1 - (nowMs - t) / windowMs)) * plotW;
  const y = (v) => CHART_H - PAD.bottom - (Math.min(v, max) / max) * plotH;
  chart.appendChild(svgEl('line', { x1: PAD.left, x2: CHART_W - PAD.right, y1: y(thresholdMs), y2: y(thresholdMs), class: 'threshold' }));
  chart.appendChild(svgEl('text', { x: CHART_W - PAD.right, y: y(thresholdMs) - 3, class: 'tick', 'text-anchor': 'end' }, 'threshold ' + fmtDuration(thresholdMs)));
  chart.appendChild(svgEl('text', { x: PAD.left, y: CHART_H - 6, class: 'tick' }, '−' + fmtDuration(windowMs)));
  chart.appendChild(svgEl('text', { x: CHART_W - PAD.right, y: CHART_H - 6, class: 'tick', 'text-anchor': 'end' }, 'now'));
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const points = s.points.map((p) => x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' ');
    const line = svgEl('polyline', { points: s.points.length > 1 ? points : points + ' ' + points, class: 'line', stroke: COLORS[i % COLORS.length] });
    line.appendChild(svgEl('title', {}, s.name + ': ' + fmtDuration(s.points[s.points.length - 1][1])));
    chart.appendChild(line);
  });
  return chart;
}

/** The names and colours of lagChart's lines. */
function legend(names) {
  return el(
    'div',
    { class: 'legend' },
    names.map((name, i) => el('span', { class: 'key' }, svgEl('svg', { width: 10, height: 10 }, svgEl('rect', { width: 10, height: 10, fill: COLORS[i % COLORS.length] })), ' ', name)),
  );
}
