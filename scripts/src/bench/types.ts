/** One section of BENCHMARKS.md, produced by one module in `scripts/src/bench/`. */
export interface BenchSection {
  /** Section heading; also the key used to replace the section on a partial re-run. */
  title: string;
  /** Markdown body: a table of figures, the baseline, and what the figures mean. */
  markdown: string;
}

/** Every `scripts/src/bench/*.bench.ts` module exports `run` with this type. */
export type BenchRun = () => Promise<BenchSection | BenchSection[]>;

/** Percentile (nearest-rank) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
