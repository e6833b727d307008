/**
 * A plausible household for the demo: a base load with morning and evening
 * peaks, higher in winter, and for some a rooftop solar array following the
 * sun (short, low winter days; long summer ones, for a northern-hemisphere
 * town), with a weather factor per day and passing clouds. Power in watts at a
 * given instant; the demo integrates it into cumulative registers.
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

/** 0 at the winter solstice, 1 at the summer solstice. */
function summerness(t: number): number {
  const date = new Date(t);
  const dayOfYear = (t - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000;
  return 0.5 + 0.5 * Math.cos((2 * Math.PI * (dayOfYear - 172)) / 365.25);
}

export function consumptionW(profile: HouseholdProfile, t: number, offsetMs: number): number {
  const h = hourOfDay(t, offsetMs);
  const morning = Math.exp(-((h - 7.5) ** 2) / 1.5);
  const evening = Math.exp(-((h - 18.5) ** 2) / 3);
  const flicker = 0.85 + 0.3 * noise(profile.seed, Math.floor(t / 60_000));
  const winter = (1.3 - 0.3 * summerness(t)) * (0.85 + 0.3 * noise(13, Math.floor((t + offsetMs) / 86_400_000)));
  return (profile.baseW + profile.peakW * (0.6 * morning + evening)) * flicker * winter;
}

export function solarW(profile: HouseholdProfile, t: number, offsetMs: number): number {
  if (profile.solarPeakW === 0) return 0;
  const h = hourOfDay(t, offsetMs);
  const summer = summerness(t);
  const dayLength = 8 + 8 * summer;
  const daylight = Math.max(0, Math.sin(((h - (13 - dayLength / 2)) / dayLength) * Math.PI));
  const sunHeight = 0.35 + 0.65 * summer;
  const weather = 0.3 + 0.7 * noise(11, Math.floor((t + offsetMs) / 86_400_000));
  const clouds = 0.7 + 0.3 * noise(7, Math.floor(t / 900_000));
  return profile.solarPeakW * sunHeight * daylight ** 1.5 * weather * clouds;
}

function noise(seed: number, step: number): number {
  let x = (seed ^ Math.imul(step, 0x27d4eb2d)) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
}
