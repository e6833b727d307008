import { z } from 'zod';

/**
 * The reading contract (ARCHITECTURE.md "A reading"): one object, or an array of
 * up to 500 for a backlog. Registers are cumulative integer watt-hours.
 */

export const REGISTERS = ['importWh', 'exportWh', 'generationWh', 'consumptionWh'] as const;
export type RegisterName = (typeof REGISTERS)[number];

export const MAX_READINGS_PER_MESSAGE = 500;
/** 1 TWh: far beyond any household or community meter; larger values are corrupt. */
export const MAX_REGISTER_WH = 1e12;
/** 10 MW either way: beyond any connection a neighbourhood hub serves. */
export const MAX_POWER_W = 1e7;
/** 2001-09-09: earlier timestamps are seconds mistaken for milliseconds or an unset clock. */
export const MIN_TIMESTAMP_MS = 1e12;

const register = z
  .number({ error: (issue) => (issue.input === undefined ? undefined : `must be a number of watt-hours (got ${describe(issue.input)})`) })
  .refine(Number.isFinite, { error: (issue) => `must be a finite number (got ${describe(issue.input)})` })
  .refine(Number.isInteger, { error: (issue) => `must be an integer number of watt-hours (got ${describe(issue.input)})` })
  .refine((v) => v >= 0, { error: (issue) => `must be ≥ 0 (got ${describe(issue.input)})` })
  .refine((v) => v <= MAX_REGISTER_WH, { error: (issue) => `must be ≤ ${MAX_REGISTER_WH} Wh (got ${describe(issue.input)})` })
  .optional();

export const readingSchema = z
  .strictObject(
    {
      t: z
        .number({ error: (issue) => `must be milliseconds since the Unix epoch (got ${describe(issue.input)})` })
        .refine(Number.isSafeInteger, { error: (issue) => `must be an integer number of milliseconds (got ${describe(issue.input)})` })
        .refine((v) => v >= MIN_TIMESTAMP_MS, {
          error: (issue) => `must be milliseconds since 1970, not seconds (got ${describe(issue.input)})`,
        }),
      importWh: register,
      exportWh: register,
      generationWh: register,
      consumptionWh: register,
      powerW: z
        .number({ error: (issue) => `must be a number of watts (got ${describe(issue.input)})` })
        .refine(Number.isFinite, { error: (issue) => `must be finite (got ${describe(issue.input)})` })
        .refine((v) => Math.abs(v) <= MAX_POWER_W, { error: (issue) => `must be within ±${MAX_POWER_W} W (got ${describe(issue.input)})` })
        .optional(),
      serial: z
        .string({ error: (issue) => `must be a string (got ${describe(issue.input)})` })
        .regex(/^[\x21-\x7e]{1,96}$/, { error: 'must be 1–96 printable characters without spaces (DSMR identifiers run to 96)' })
        .optional(),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}; allowed: t, ${REGISTERS.join(', ')}, powerW, serial` : `must be a reading object (got ${describe(issue.input)})`) },
  )
  .refine((r) => REGISTERS.some((name) => r[name] !== undefined), {
    error: `carries no register; a reading needs at least one of ${REGISTERS.join(', ')}`,
  });

export type Reading = z.infer<typeof readingSchema>;

export interface ReadingProblem {
  /** Position in a backlog array, or null for a single reading. */
  index: number | null;
  message: string;
}

/**
 * Parses a readings payload. Returns the valid readings with their positions and
 * every problem found, each naming the field and the value, so one bad reading in
 * a backlog does not hide the others.
 */
export function parseReadingPayload(
  payload: Buffer,
): { readings: Array<{ index: number | null; reading: Reading }>; problems: ReadingProblem[] } {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return { readings: [], problems: [{ index: null, message: `payload is not JSON: ${(error as Error).message}` }] };
  }
  if (!Array.isArray(json)) {
    const result = readingSchema.safeParse(json);
    return result.success
      ? { readings: [{ index: null, reading: result.data }], problems: [] }
      : { readings: [], problems: [{ index: null, message: formatIssues(result.error) }] };
  }
  if (json.length === 0) return { readings: [], problems: [{ index: null, message: 'payload is an empty array; send at least one reading' }] };
  if (json.length > MAX_READINGS_PER_MESSAGE) {
    return {
      readings: [],
      problems: [{ index: null, message: `payload has ${json.length} readings; send at most ${MAX_READINGS_PER_MESSAGE} per message` }],
    };
  }
  const readings: Array<{ index: number | null; reading: Reading }> = [];
  const problems: ReadingProblem[] = [];
  json.forEach((item, index) => {
    const result = readingSchema.safeParse(item);
    if (result.success) readings.push({ index, reading: result.data });
    else problems.push({ index, message: formatIssues(result.error) });
  });
  return { readings, problems };
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  const text = JSON.stringify(value);
  return text === undefined ? typeof value : text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
