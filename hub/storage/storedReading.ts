import type { Reading } from '../ingest/readingSchema.js';

/** A validated reading as the hub keeps it: absent registers are null. */
export interface StoredReading {
  meterId: string;
  t: number;
  importWh: number | null;
  exportWh: number | null;
  generationWh: number | null;
  consumptionWh: number | null;
  powerW: number | null;
  serial: string | null;
}

export function toStoredReading(meterId: string, reading: Reading): StoredReading {
  return {
    meterId,
    t: reading.t,
    importWh: reading.importWh ?? null,
    exportWh: reading.exportWh ?? null,
    generationWh: reading.generationWh ?? null,
    consumptionWh: reading.consumptionWh ?? null,
    powerW: reading.powerW ?? null,
    serial: reading.serial ?? null,
  };
}

/** Same registers, power and serial: a retry of the same reading, not a conflict. */
export function sameReading(a: StoredReading, b: StoredReading): boolean {
  return (
    a.t === b.t &&
    a.importWh === b.importWh &&
    a.exportWh === b.exportWh &&
    a.generationWh === b.generationWh &&
    a.consumptionWh === b.consumptionWh &&
    a.powerW === b.powerW &&
    (a.serial ?? null) === (b.serial ?? null)
  );
}
