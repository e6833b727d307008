/**
 * A plausible household for the demo: a base load with morning and evening
 * peaks, and for some a rooftop solar array following a clear-sky day curve
 * with passing clouds. Power in watts at a given instant; the demo integrates
 * it into cumulative registers.
 */

export interface HouseholdProfile {
  baseW: number;
  peakW: number;
  solarPeakW: number;
  seed: number;
}

export function householdProfile(index: number): HouseholdProfile {
  const seed = (index * 2654435761) % 2 ** 32;
  const r = (k: number) => ((seed >>> k) & 0xff) / 255;
  return {
    baseW: 120 + r(0) * 280,
    peakW: 800 + r(8) * 2200,
    solarPeakW: index % 3 === 2 ? 0 : 1500 + r(16) * 4500,
    seed,
  };
}

/** Hour of day in UTC+offset as a fraction, for the demo's daily shape. */
function hourOfDay(t: number, offsetMs: number): number {
  return (((t + offsetMs) % 86_400_000) + 86_400_000) % 86_400_000 / 3_600_000;
}

export function consumptionW(profile: HouseholdProfile, t: number, offsetMs: number): number {
  const h = hourOfDay(t, offsetMs);
  const morning = Math.exp(-((h - 7.5) ** 2) / 1.5);
  const evening = Math.exp(-((h - 18.5) ** 2) / 3);
  const flicker = 0.85 + 0.3 * noise(profile.seed, Math.floor(t / 60_000));
  return (profile.baseW + profile.peakW * (0.6 * morning + evening)) * flicker;
}

export function solarW(profile: HouseholdProfile, t: number, offsetMs: number): number {
  if (profile.solarPeakW === 0) return 0;
  const h = hourOfDay(t, offsetMs);
  const daylight = Math.max(0, Math.sin(((h - 6) / 14) * Math.PI));
  const clouds = 0.55 + 0.45 * noise(7, Math.floor(t / 900_000));
  return profile.solarPeakW * daylight ** 1.5 * clouds;
}

function noise(seed: number, step: number): number {
  let x = (seed ^ Math.imul(step, 0x27d4eb2d)) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
}
