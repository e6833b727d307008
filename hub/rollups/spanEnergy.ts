import { REGISTERS, type RegisterName } from '../ingest/readingSchema.js';

/** The part of a reading that interval energy is computed from. */
export interface RegisterPoint {
  t: number;
  serial?: string | null;
  importWh?: number | null;
  exportWh?: number | null;
  generationWh?: number | null;
  consumptionWh?: number | null;
}

export type EnergyByRegister = Record<RegisterName, number>;

export interface BucketEnergy extends EnergyByRegister {
  /** Milliseconds of the bucket covered by a span between two readings. */
  coveredMs: number;
}

export const FIVE_MINUTES_MS = 300_000;

/**
 * Whether two consecutive readings of one meter bound an interval whose energy
 * is known. A change of serial is a meter replacement: the energy between the
 * old meter's last reading and the new meter's first is unknown. A span longer
 * than maxSpanMs is a gap: its energy is known in total but not when it flowed,
 * so it is left out rather than invented, and coverage shows the gap.
 */
export function spanIsKnown(a: RegisterPoint, b: RegisterPoint, maxSpanMs: number): boolean {
  if (b.t <= a.t || b.t - a.t > maxSpanMs) return false;
  if (a.serial && b.serial && a.serial !== b.serial) return false;
  return true;
}

/**
 * Energy between two consecutive readings, split in proportion to time across
 * the 5-minute buckets the span overlaps. Calls `add(bucketStart, energy)` once
 * per bucket; energy values are watt-hours (fractional after the split).
 */
export function splitSpan(
  a: RegisterPoint,
  b: RegisterPoint,
  maxSpanMs: number,
  add: (bucket: number, energy: BucketEnergy) => void,
  bucketMs: number = FIVE_MINUTES_MS,
): void {
  if (!spanIsKnown(a, b, maxSpanMs)) return;
  const span = b.t - a.t;
  const deltas: Partial<Record<RegisterName, number>> = {};
  for (const name of REGISTERS) {
    const from = a[name];
    const to = b[name];
    if (from != null && to != null && to >= from) deltas[name] = to - from;
  }
  for (let bucket = Math.floor(a.t / bucketMs) * bucketMs; bucket < b.t; bucket += bucketMs) {
    const overlap = Math.min(b.t, bucket + bucketMs) - Math.max(a.t, bucket);
    if (overlap <= 0) continue;
    const share = overlap / span;
    add(bucket, {
      importWh: (deltas.importWh ?? 0) * share,
      exportWh: (deltas.exportWh ?? 0) * share,
      generationWh: (deltas.generationWh ?? 0) * share,
      consumptionWh: (deltas.consumptionWh ?? 0) * share,
      coveredMs: overlap,
    });
  }
}
