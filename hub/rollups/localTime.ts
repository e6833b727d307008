/**
 * Local calendar arithmetic in an IANA time zone, from the platform's Intl data.
 * Days are keyed `YYYY-MM-DD` in local time and may be 23, 24 or 25 hours long;
 * hours are keyed by the UTC instant at which the local hour starts, so the
 * repeated hour of an autumn DST change is two distinct hours.
 */

const HOUR_MS = 3_600_000;

export interface LocalCalendar {
  readonly timeZone: string;
  /** Offset of local wall time from UTC at instant t, in ms (e.g. +3600000 for BST). */
  offsetAt(t: number): number;
  /** UTC instant at which the local hour containing t starts. */
  hourStart(t: number): number;
  /** Local date of instant t, `YYYY-MM-DD`. */
  dayKey(t: number): string;
  /** UTC instants at which the local day starts and the next one starts. */
  dayBounds(dayKey: string): { start: number; end: number };
}

export function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
  } catch {
    throw new Error(`timeZone: "${timeZone}" is not an IANA time zone name; use one like "Europe/London" or "Europe/Amsterdam".`);
  }
}

export function createLocalCalendar(timeZone: string): LocalCalendar {
  assertTimeZone(timeZone);
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  // Offsets change only on 15-minute boundaries in every current zone, so one
  // lookup per 15-minute slot is enough; the cache is bounded and reset when full.
  const slotMs = 15 * 60_000;
  const cache = new Map<number, number>();

  function offsetAt(t: number): number {
    const slot = Math.floor(t / slotMs);
    const hit = cache.get(slot);
    if (hit !== undefined) return hit;
    const probe = slot * slotMs;
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(new Date(probe))) {
      if (part.type !== 'literal') parts[part.type] = Number(part.value);
    }
    const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
    const offset = wall - probe;
    if (cache.size > 20_000) cache.clear();
    cache.set(slot, offset);
    return offset;
  }

  function hourStart(t: number): number {
    const wall = t + offsetAt(t);
    return t - (((wall % HOUR_MS) + HOUR_MS) % HOUR_MS);
  }

  function dayKey(t: number): string {
    return new Date(t + offsetAt(t)).toISOString().slice(0, 10);
  }

  function localMidnight(y: number, m: number, d: number): number {
    const wallMidnight = Date.UTC(y, m - 1, d);
    let guess = wallMidnight - offsetAt(wallMidnight);
    guess = wallMidnight - offsetAt(guess);
    // Where midnight does not exist (a DST change at 00:00), the day starts at
    // the first instant whose local date is that day.
    if (dayKey(guess) !== isoDate(y, m, d)) guess += HOUR_MS;
    return guess;
  }

  function dayBounds(key: string): { start: number; end: number } {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
    if (!match) throw new Error(`day: "${key}" is not a date; write it as YYYY-MM-DD.`);
    const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const next = new Date(Date.UTC(y, m - 1, d + 1));
    return {
      start: localMidnight(y, m, d),
      end: localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()),
    };
  }

  return { timeZone, offsetAt, hourStart, dayKey, dayBounds };
}

function isoDate(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
