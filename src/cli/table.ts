// Aligned plain-text tables for the CLI's human output.

/** A column: its header, and whether its cells line up on the right (numbers). */
export interface Column {
  header: string;
  alignRight?: boolean;
}

/** Renders rows under headers, columns two spaces apart, every line trimmed at the end. */
export function renderTable(columns: Column[], rows: string[][]): string {
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => [...row[i]].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const padding = ' '.repeat(widths[i] - [...cell].length);
        return columns[i].alignRight ? padding + cell : cell + padding;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...rows.map(line)].join('\n');
}

/** A value shown on one line, at most `maxChars` long: strings JSON-quoted when they hold control characters. */
export function oneLine(value: string, maxChars = 60): string {
  const shown = /[\u0000-\u001f"]/.test(value) ? JSON.stringify(value) : value;
  return [...shown].length > maxChars ? `${[...shown].slice(0, maxChars - 1).join('')}…` : shown;
}

/** Unix ms as an ISO date, or "-". */
export function isoTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString();
}

/** A duration in ms, short: 850ms, 12.3s, 5m 03s, 2h 10m, 3d 4h. */
export function shortDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const s = Math.floor(ms / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor(s / 3_600) % 24}h`;
}
