// Small statistics helpers.

/** The q-quantile (0..1) of `values` by nearest rank; NaN for none. Sorts a copy. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function median(values: readonly number[]): number {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function maxOf(values: readonly number[]): number {
  let max = -Infinity;
  for (const value of values) if (value > max) max = value;
  return values.length === 0 ? NaN : max;
}

/** Runs counted per id: how many ids of [0, expected) never ran, and how many runs were extra. */
export function countRuns(taskIds: readonly number[], expected: number): { duplicates: number; missing: number } {
  const seen = new Uint8Array(expected);
  let duplicates = 0;
  for (const id of taskIds) {
    if (id >= 0 && id < expected && seen[id] === 0) seen[id] = 1;
    else duplicates++;
  }
  let missing = 0;
  for (const flag of seen) if (flag === 0) missing++;
  return { duplicates, missing };
}
