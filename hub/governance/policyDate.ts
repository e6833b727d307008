import { z } from 'zod';
import type { LocalCalendar } from '../rollups/localTime.js';
import { describeValue } from './inputProblems.js';

/**
 * Dates in proposals and decisions, as a group writes them: either a calendar
 * date `2026-06-01`, meaning the start of that day in the hub's time zone, or
 * an instant with an explicit offset, `2026-06-01T18:00:00+01:00` or `...Z`.
 * A time without an offset is refused: its meaning would depend on the machine.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

export function isCalendarDate(value: string): boolean {
  const match = DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 2000) return false;
  const probe = new Date(Date.UTC(year, month - 1, day));
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

export function isOffsetDateTime(value: string): boolean {
  const match = DATE_TIME.exec(value);
  if (!match || !isCalendarDate(match[1]!)) return false;
  const [hour, minute, second, offsetHours, offsetMinutes] = [match[2], match[3], match[4], match[5], match[6]].map((p) => Number(p ?? 0));
  return hour! <= 23 && minute! <= 59 && second! <= 59 && offsetHours! <= 14 && offsetMinutes! <= 59 && Number.isFinite(Date.parse(value));
}

export const calendarDateSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is missing; write a date like 2026-06-01' : `must be a date like 2026-06-01 (got ${describeValue(issue.input)})`) })
  .refine(isCalendarDate, { error: (issue) => `must be a real date like 2026-06-01 (got ${describeValue(issue.input)})` });

export const policyDateSchema = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'is missing; write a date like 2026-06-01 or a time with its offset like 2026-06-01T18:00:00+01:00'
        : `must be a date like 2026-06-01 or a time with its offset like 2026-06-01T18:00:00+01:00 (got ${describeValue(issue.input)})`,
  })
  .refine((value) => isCalendarDate(value) || isOffsetDateTime(value), {
    error: (issue) =>
      `must be a date like 2026-06-01 or a time with its offset like 2026-06-01T18:00:00+01:00 (got ${describeValue(issue.input)})`,
  });

/** The calendar date as written (the local date of an instant in its own offset). */
export const writtenDate = (value: string): string => value.slice(0, 10);

/** The instant a policy date stands for; a calendar date starts at local midnight in the hub's zone. */
export function policyDateInstant(value: string, calendar: LocalCalendar): number {
  return isCalendarDate(value) ? calendar.dayBounds(value).start : Date.parse(value);
}
