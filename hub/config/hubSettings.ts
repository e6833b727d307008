import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { z } from 'zod';
import { assertTimeZone } from '../rollups/localTime.js';

/**
 * Every setting of a hub, validated once against this schema and then frozen.
 * Values come from the defaults below, then `settings.json` in the data
 * directory, then command-line flags.
 */

const port = (name: string) =>
  z
    .number({ error: (i) => `${name}: must be a port number (got ${JSON.stringify(i.input)})` })
    .int({ error: (i) => `${name}: must be a whole number (got ${JSON.stringify(i.input)})` })
    .min(0, { error: (i) => `${name}: must be ≥ 0 (got ${JSON.stringify(i.input)}); 0 picks a free port` })
    .max(65535, { error: (i) => `${name}: must be ≤ 65535 (got ${JSON.stringify(i.input)})` });

const positive = (name: string, unit: string) =>
  z
    .number({ error: (i) => `${name}: must be a number of ${unit} (got ${JSON.stringify(i.input)})` })
    .positive({ error: (i) => `${name}: must be > 0 (got ${JSON.stringify(i.input)})` });

export const hubSettingsSchema = z.strictObject({
  mqttPort: port('mqttPort').default(1883),
  httpPort: port('httpPort').default(8080),
  host: z.string().min(1).default('0.0.0.0'),
  /** Host name meters use to reach the hub, printed with new credentials. */
  publicHost: z.string().min(1).default(() => hostname()),
  timeZone: z
    .string()
    .default(() => Intl.DateTimeFormat().resolvedOptions().timeZone)
    .superRefine((value, ctx) => {
      try {
        assertTimeZone(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  /** Readings implying more power than this between two readings are rejected. */
  maxPowerW: positive('maxPowerW', 'watts').default(60_000),
  /** How far in the future a reading's t may be (meter clocks drift). */
  futureToleranceMs: positive('futureToleranceMs', 'milliseconds').default(300_000),
  maxPayloadBytes: positive('maxPayloadBytes', 'bytes').default(262_144),
  maxSpanMs: positive('maxSpanMs', 'milliseconds').default(3_600_000),
  commitDelayMs: positive('commitDelayMs', 'milliseconds').default(2_000),
  commitBatch: positive('commitBatch', 'readings').default(64),
  flushIntervalMs: positive('flushIntervalMs', 'milliseconds').default(300_000),
  flushBatch: positive('flushBatch', 'readings').default(20_000),
  rawRetentionDays: positive('rawRetentionDays', 'days').default(35),
  intervalRetentionDays: positive('intervalRetentionDays', 'days').default(396),
  quarantineSize: positive('quarantineSize', 'entries').default(200),
  /** The name the dashboard shows, e.g. "Mill Lane Energy"; a plain default otherwise. */
  neighbourhoodName: z.string().min(1).max(80).optional(),
  /**
   * Grams of CO₂ per kWh of grid electricity, for the dashboard's "CO₂ avoided"
   * estimate. Set it to your grid's recent average (the UK's was about 125-200,
   * the EU's about 250 in the mid-2020s); the about page states the figure used.
   */
  co2GramsPerKwh: z.number().min(0).max(2000).default(150),
  /** How households reach the group, shown on the about page (e.g. "energy@millane.org"). */
  contact: z.string().min(1).max(300).optional(),
  /** Failed logins from one address before answers are slowed down. */
  loginFailuresBeforeDelay: z.number().int().min(1).default(3),
});

export type HubSettings = Readonly<z.infer<typeof hubSettingsSchema>>;

export class SettingsError extends Error {}

export function parseHubSettings(input: unknown, source: string): HubSettings {
  const result = hubSettingsSchema.safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      return issue.message.startsWith(`${path}:`) || path === '' ? issue.message : `${path}: ${issue.message}`;
    });
    throw new SettingsError(`Invalid settings in ${source}:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze(result.data);
}

/** Reads settings.json (optional) from the data directory and applies overrides on top. */
export async function loadHubSettings(dataDir: string, overrides: Record<string, unknown> = {}): Promise<HubSettings> {
  const file = join(dataDir, 'settings.json');
  let fromFile: Record<string, unknown> = {};
  try {
    fromFile = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SettingsError(`Cannot read ${file}: ${(error as Error).message}. Fix the JSON or remove the file to use the defaults.`);
    }
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return parseHubSettings({ ...fromFile, ...defined }, Object.keys(defined).length > 0 ? `${file} and the command line` : file);
}
