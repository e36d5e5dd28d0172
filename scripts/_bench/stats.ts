/**
 * Small statistics and formatting helpers of the benchmark harness.
 *
 * @module
 */

/** Summary of repeated measurements of one figure. */
export interface Summary {
  /** Every sample, in the order taken. */
  samples: number[];
  /** Median of the samples. */
  median: number;
  /** Smallest sample. */
  min: number;
  /** Largest sample. */
  max: number;
  /** (max − min) / median, as a fraction (0.1 = 10 %); 0 for one sample. */
  spread: number;
}

/**
 * Summarises samples.
 *
 * @param samples Measurements (at least one).
 * @returns Median, extremes and relative spread.
 */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError("summarize: no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  return {
    samples: [...samples],
    median,
    min,
    max,
    spread: median === 0 ? 0 : (max - min) / Math.abs(median),
  };
}

/**
 * Formats a number with about three significant digits and thousands separators.
 *
 * @param x The number.
 * @returns E.g. `1.23`, `45.6`, `12,345`.
 */
export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a >= 0.01) return x.toFixed(3);
  return x.toPrecision(2);
}

/**
 * Formats a summary as `median ±spread%`.
 *
 * @param s The summary.
 * @returns E.g. `1.23 ±4%`.
 */
export function fmtSummary(s: Summary): string {
  if (s.samples.length < 2) return fmtNum(s.median);
  return `${fmtNum(s.median)} ±${Math.round(s.spread * 50)}%`;
}

/**
 * Renders rows as a fixed-width text table.
 *
 * @param header Column titles.
 * @param rows Cells, one array per row.
 * @param alignRight Per column: right-align (numbers).
 * @returns The table, lines joined with newlines.
 */
export function textTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  alignRight: readonly boolean[] = [],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => alignRight[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(header), rule, ...rows.map(line)].join("\n");
}
