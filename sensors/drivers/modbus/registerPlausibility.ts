/**
 * Bounds for values read from a meter register. A float register that was
 * misread (wrong address, word order or scale) usually lands outside them.
 * They match the hub's own limits (hub/ingest/readingSchema.ts), so nothing the
 * driver sends is refused there for size.
 */

/** 1 TWh: beyond any household or community meter. */
export const MAX_ENERGY_WH = 1e12;
/** 10 MW either way. */
export const MAX_POWER_W = 1e7;

/** Cumulative energy: finite, not negative, within MAX_ENERGY_WH. */
export function isPlausibleEnergyWh(value: number): boolean {
  return Number.isFinite(value) && value >= 0 && value <= MAX_ENERGY_WH;
}

/** Instantaneous power: finite, either sign (export), within MAX_POWER_W. */
export function isPlausiblePowerW(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value) <= MAX_POWER_W;
}
