import type { BenchSize } from './benchResult.js';

/**
 * A benchmark size read from the environment (`BENCH_*`), so a slower or faster
 * machine can change it without editing code. Every size a benchmark reads is
 * recorded, so RESULTS.md says which sizes produced its figures.
 */
export function benchSize(used: BenchSize[], env: string, fallback: number, meaning: string, limits: { min?: number; max?: number } = {}): number {
  const text = process.env[env];
  const value = text === undefined || text === '' ? fallback : Number(text);
  const min = limits.min ?? 0;
  const max = limits.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${env}: must be a number from ${min} to ${max} (${meaning}); got ${JSON.stringify(text)}. Unset it to use ${fallback}.`);
  }
  used.push({ env, value, meaning });
  return value;
}

/** A comma-separated list of whole numbers, e.g. BENCH_INGEST_CLIENTS=1,10,100. */
export function benchList(used: BenchSize[], env: string, fallback: readonly number[], meaning: string, limits: { min?: number; max?: number } = {}): number[] {
  const text = process.env[env];
  const values = text === undefined || text === '' ? [...fallback] : text.split(',').map((part) => Number(part.trim()));
  const min = limits.min ?? 1;
  const max = limits.max ?? Number.MAX_SAFE_INTEGER;
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < min || v > max)) {
    throw new Error(`${env}: must be whole numbers from ${min} to ${max}, comma-separated (${meaning}); got ${JSON.stringify(text)}. Unset it to use ${fallback.join(',')}.`);
  }
  used.push({ env, value: values.join(','), meaning });
  return values;
}
