/**
 * What a benchmark hands back to runAll.ts, which turns it into a section of
 * RESULTS.md: the sizes it ran with, one row per architecture target
 * (target vs. measured, pass or miss), detail tables and notes.
 */

export type Verdict = 'pass' | 'miss' | 'info';

export interface BenchSize {
  /** Environment variable that sets it. */
  env: string;
  value: number | string;
  meaning: string;
}

export interface BenchRow {
  figure: string;
  target: string;
  measured: string;
  verdict: Verdict;
}

export interface DetailTable {
  title: string;
  headers: string[];
  rows: string[][];
}

export interface BenchOutcome {
  sizes: BenchSize[];
  rows: BenchRow[];
  details: DetailTable[];
  notes: string[];
}

export interface Benchmark {
  /** Name on the command line: `npm run bench -- <name>`. */
  name: string;
  title: string;
  run(): Promise<BenchOutcome>;
}

export function verdict(ok: boolean): Verdict {
  return ok ? 'pass' : 'miss';
}

/** A figure for RESULTS.md: thousands separated, `digits` decimals. */
export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
