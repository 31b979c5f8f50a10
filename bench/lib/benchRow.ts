/** One figure of the benchmark table. */
export interface BenchRow {
  readonly area: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** The figure it is compared with (a baseline measured in the same run), when there is one. */
  readonly baseline?: { readonly name: string; readonly value: number } | undefined;
  /**
   * When the figure was measured in several runs: the median of the per-run ratios to the
   * baseline of the same run (value and baseline are then the medians of each). Printed
   * instead of value / baseline.
   */
  readonly ratio?: number | undefined;
  /** Each run's figure, in order, when there were several. */
  readonly runs?: readonly number[] | undefined;
  /** The target from the issues, e.g. "< 50". */
  readonly target?: string | undefined;
  readonly met?: boolean | undefined;
}

export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['area', 'metric', 'value', 'baseline', 'ratio', 'target'];
  const body = rows.map((row) => [
    row.area,
    row.metric,
    `${round(row.value)} ${row.unit}`,
    row.baseline ? `${round(row.baseline.value)} (${row.baseline.name})` : '',
    row.ratio !== undefined
      ? `${row.ratio.toFixed(2)}x (median of ${row.runs?.length ?? '?'})`
      : row.baseline && row.baseline.value !== 0
        ? `${(row.value / row.baseline.value).toFixed(2)}x`
        : '',
    row.target ? `${row.target}${row.met === undefined ? '' : row.met ? ' ok' : ' MISSED'}` : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function round(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
