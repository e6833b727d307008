import type { z } from 'zod';

/**
 * Turns zod issues into lines a group member can act on: the field's path,
 * then what is wrong with which value (`rules.k: must be at least 5 ... (got 3)`).
 */
export function listProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (path === '' || issue.message.startsWith(`${path}:`)) return issue.message;
    return `${path}: ${issue.message}`;
  });
}

/** A short, quoted rendering of a value for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  const text = JSON.stringify(value);
  return text === undefined ? typeof value : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
