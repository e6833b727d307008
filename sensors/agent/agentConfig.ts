import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * The sensor agent's configuration file (`commonwatt sensor run --config FILE`),
 * validated once with every problem listed. One agent may serve several meters
 * through several drivers; each meter logs in to the hub with its own secret.
 */

const meterId = z.string().regex(/^m-[a-z0-9]{4,32}$/, { error: (i) => `must be a meter id like "m-7fh2kq9d" from \`commonwatt meters add\` (got ${JSON.stringify(i.input)})` });
const port = z.string().min(1, { error: 'must name a serial port, e.g. /dev/ttyUSB0 (see `commonwatt sensor detect`)' });

const dsmrSource = z.strictObject({
  driver: z.literal('dsmr'),
  port,
  meterId,
  /** DSMR 4 and 5 talk at 115200 8N1; 2.2 and 3 at 9600 7E1. */
  dsmrVersion: z.enum(['2.2', '3', '4', '5']).default('5'),
});

const s0Source = z.strictObject({
  driver: z.literal('s0'),
  port,
  meters: z
    .array(
      z.strictObject({
        meterId,
        pin: z.number().int().min(2, { error: 'must be ≥ 2: pins 0 and 1 carry the USB link to the board' }).max(69),
        /** Use the pin's pull-up (S0 wired between pin and GND, LED modules); false with an external pull-down. */
        pullUp: z.boolean().default(true),
        impulsesPerKWh: z.number().int().positive({ error: 'must be the imp/kWh printed on the meter, e.g. 1000' }),
        register: z.enum(['generationWh', 'consumptionWh', 'importWh']),
        /** The meter's display when counting started, in Wh, so registers match the meter. */
        offsetWh: z.number().int().min(0).default(0),
      }),
    )
    .min(1, { error: 'needs at least one pulse input' }),
});

const modbusSource = z.strictObject({
  driver: z.literal('modbus'),
  port,
  baudRate: z.number().int().positive().optional(),
  parity: z.enum(['none', 'even', 'odd']).optional(),
  /** A folder of extra meter templates (JSON, see sensors/drivers/modbus/templates/README.md). */
  templatesDir: z.string().min(1).optional(),
  meters: z
    .array(z.strictObject({ meterId, address: z.number().int().min(1).max(247), template: z.string().min(1) }))
    .min(1, { error: 'needs at least one meter address' }),
});

export const agentConfigSchema = z
  .strictObject({
    hub: z.strictObject({
      url: z.string().regex(/^(mqtts?|wss?):\/\/[^/\s]+/, { error: (i) => `must be an MQTT URL like "mqtt://commonwatt.local:1883" (got ${JSON.stringify(i.input)})` }),
    }),
    meters: z
      .array(z.strictObject({ meterId, password: z.string().min(16, { error: 'must be the secret printed by `commonwatt meters add`' }) }))
      .min(1, { error: 'needs at least one meter with its credentials' }),
    drivers: z.array(z.discriminatedUnion('driver', [dsmrSource, s0Source, modbusSource])).min(1, { error: 'needs at least one driver' }),
    /** Where the outbox and pulse counts live. */
    stateDir: z.string().min(1).default('./sensor-state'),
    publishIntervalMs: z.number().int().min(1000).max(3_600_000).default(10_000),
  })
  .superRefine((config, ctx) => {
    const credentials = new Set(config.meters.map((m) => m.meterId));
    const served = new Map<string, number>();
    config.drivers.forEach((d, i) => {
      const ids = d.driver === 'dsmr' ? [d.meterId] : d.meters.map((m) => m.meterId);
      for (const id of ids) {
        served.set(id, (served.get(id) ?? 0) + 1);
        if (!credentials.has(id)) {
          ctx.addIssue({ code: 'custom', path: ['drivers', i], message: `reads meter ${id}, which has no credentials in "meters"` });
        }
      }
    });
    config.meters.forEach((m, i) => {
      const count = served.get(m.meterId) ?? 0;
      if (count !== 1) {
        ctx.addIssue({ code: 'custom', path: ['meters', i], message: count === 0 ? `meter ${m.meterId} is read by no driver` : `meter ${m.meterId} is read by ${count} drivers; one only` });
      }
    });
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type DriverConfig = AgentConfig['drivers'][number];

export function parseAgentConfig(input: unknown, source: string): AgentConfig {
  const result = agentConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  throw new Error(`${source} is not a valid sensor configuration:\n  ${problems.join('\n  ')}`);
}

export async function loadAgentConfig(file: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`--config: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); create it with \`commonwatt sensor pair\` or from sensors/README.md.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`--config: ${file} is not valid JSON (${(error as Error).message}).`);
  }
  return parseAgentConfig(json, file);
}
