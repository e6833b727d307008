import { REGISTERS, type RegisterName } from './readingSchema.js';
import { REGISTERS_BY_KIND, type MeterKind } from '../storage/registry.js';
import { sameReading, type StoredReading } from '../storage/storedReading.js';
import type { RejectionCode } from '../broker/topics.js';

/**
 * Checks a schema-valid reading against what the hub already holds for its
 * meter (ARCHITECTURE.md "Acknowledgement"). Two texts per problem: `reason`
 * goes to the meter's own `rejected` topic and may quote its values; `summary`
 * goes to logs and the volunteers' quarantine list and never holds an energy value.
 */

export interface ValidationContext {
  kind: MeterKind;
  now: number;
  futureToleranceMs: number;
  oldestAcceptedT: number;
  maxPowerW: number;
  previous: StoredReading | null;
  same: StoredReading | null;
  next: StoredReading | null;
}

export type Verdict =
  | { ok: true }
  | { ok: false; code: RejectionCode; reason: string; summary: string };

export function validateReading(r: StoredReading, ctx: ValidationContext): Verdict {
  const allowed = REGISTERS_BY_KIND[ctx.kind];
  const foreign = REGISTERS.filter((name) => r[name] !== null && !allowed.includes(name));
  if (foreign.length > 0) {
    const text = `a ${ctx.kind} meter reports ${allowed.join(' and ')}, not ${foreign.join(', ')}`;
    return reject('wrong_register', `${text}; check the driver's meter kind`, text);
  }
  if (!allowed.some((name) => r[name as RegisterName] !== null)) {
    const text = `a ${ctx.kind} meter's reading needs ${allowed.join(' or ')}`;
    return reject('wrong_register', text, text);
  }
  if (r.t > ctx.now + ctx.futureToleranceMs) {
    const ahead = Math.round((r.t - ctx.now) / 1000);
    return reject(
      'future',
      `t ${new Date(r.t).toISOString()} is ${ahead} s ahead of the hub's clock (at most ${ctx.futureToleranceMs / 1000} s allowed); set the sensor's clock (NTP)`,
      `t is ${ahead} s in the future`,
    );
  }
  if (r.t < ctx.oldestAcceptedT) {
    return reject(
      'too_old',
      `t ${new Date(r.t).toISOString()} is older than the raw-reading retention (from ${new Date(ctx.oldestAcceptedT).toISOString()}); it cannot be stored`,
      'older than the raw-reading retention',
    );
  }
  if (ctx.same) {
    return sameReading(ctx.same, r)
      ? reject('duplicate', `a reading for t ${r.t} is already stored; nothing to do`, 'duplicate of a stored reading')
      : reject('conflict', `a different reading for t ${r.t} is already stored; the stored one is kept`, 'conflicts with a stored reading at the same t');
  }
  if (ctx.previous) {
    const problem = checkStep(ctx.previous, r, ctx.maxPowerW, 'previous');
    if (problem) return problem;
  }
  if (ctx.next) {
    const problem = checkStep(r, ctx.next, ctx.maxPowerW, 'next');
    if (problem) return problem;
  }
  return { ok: true };
}

function checkStep(a: StoredReading, b: StoredReading, maxPowerW: number, neighbour: 'previous' | 'next'): Verdict | null {
  if (a.serial && b.serial && a.serial !== b.serial) return null; // a replaced meter starts a new baseline
  const hours = (b.t - a.t) / 3_600_000;
  for (const name of REGISTERS) {
    const from = a[name];
    const to = b[name];
    if (from === null || to === null) continue;
    if (to < from) {
      const where = neighbour === 'previous' ? `from the previous reading (t ${a.t})` : `to the later stored reading (t ${b.t})`;
      return reject(
        'backwards',
        `${name} goes down ${where}: ${from} → ${to} Wh with the same meter serial; a replaced meter must report its new serial`,
        `${name} goes down without a new serial`,
      );
    }
    const powerW = (to - from) / hours;
    if (powerW > maxPowerW) {
      return reject(
        'implausible_jump',
        `${name} rises ${to - from} Wh in ${Math.round(hours * 3600)} s (${neighbour === 'previous' ? 'since the previous' : 'before the next'} reading), ` +
          `${Math.round(powerW)} W on average, above the ${maxPowerW} W limit; check the impulses per kWh or the register scaling`,
        `${name} implies more than ${maxPowerW} W`,
      );
    }
  }
  return null;
}

function reject(code: RejectionCode, reason: string, summary: string): Verdict {
  return { ok: false, code, reason, summary };
}
