import type { FastifyInstance, FastifyReply, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../config/clock.js';
import type { Logger } from '../log/createLogger.js';
import type { DeviceHealth } from '../ingest/deviceHealth.js';
import { METER_DRIVERS, METER_KINDS, type MeterDriver, type MeterKind, type Registry } from '../storage/registry.js';
import type { RejectionCode } from '../broker/topics.js';
import type { HubCommands, MeterPairing } from './hubCommands.js';

/**
 * The volunteers' routes on the public server, behind sign-in (issue 5 item 4):
 * - GET  /api/admin/sensors     device health per meter; never an energy value or register
 *                               reading (PRIVACY-RULES.md "Data tiers": volunteers see device health)
 * - GET  /api/admin/households  households with zone and meter count (also the group's, for its consent register)
 * - POST /api/admin/households  {label, zone?} adds a household
 * - POST /api/admin/meters      {householdId, kind, driver} adds a meter and answers its pairing code
 * (GET /api/admin/meters, the CLI's meter list, is registered in hub.ts.)
 */
export const VOLUNTEER_ROUTES = {
  sensors: '/api/admin/sensors',
  households: '/api/admin/households',
  meters: '/api/admin/meters',
} as const;

export interface VolunteerRouteDeps {
  /** Created after the HTTP server starts, hence a getter. */
  commands(): HubCommands;
  registry: Registry;
  health: DeviceHealth;
  clock: Clock;
  logger: Logger;
}

/** One meter's health as volunteers see it. Every field is a device fact or a count. */
export interface SensorHealth {
  meterId: string;
  householdId: string;
  householdLabel: string | null;
  zone: string | null;
  kind: MeterKind;
  driver: MeterDriver;
  online: boolean;
  lastSeenAt: string | null;
  readingsLastHour: number;
  readingsAccepted: number;
  duplicates: number;
  rejected: number;
  rejectedByCode: Partial<Record<RejectionCode, number>>;
  lastRejection: { at: string; code: RejectionCode; summary: string } | null;
  device: { driver: string | null; firmware: string | null; agentVersion: string | null; lastError: string | null } | null;
}

export interface SensorsAnswer {
  /** The hub's clock when this was read, so pages show "5 minutes ago" against it. */
  at: string;
  sensors: SensorHealth[];
}

const householdBody = z.strictObject(
  {
    label: z
      .string({ error: 'label: write a name for the household that volunteers will recognise, e.g. "12 Mill Lane"' })
      .trim()
      .min(1, { error: 'label: must not be empty; write a name volunteers will recognise, e.g. "12 Mill Lane"' })
      .max(100, { error: 'label: must be at most 100 characters; shorten it' }),
    zone: z
      .string({ error: 'zone: must be text (a street or area name), or left out' })
      .trim()
      .max(60, { error: 'zone: must be at most 60 characters; shorten it' })
      .refine((zone) => zone === '' || /^[\p{L}\p{N} ._'-]+$/u.test(zone), { error: "zone: use only letters, digits, spaces and . _ ' - (e.g. \"Mill Lane\")" })
      .nullish()
      .transform((zone) => (zone ? zone : null)),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}; send label and zone` : 'send {"label": "...", "zone": "..."} as JSON') },
);

const meterBody = z.strictObject(
  {
    householdId: z.string({ error: 'householdId: choose the household the meter belongs to' }).trim().min(1, { error: 'householdId: choose the household the meter belongs to' }),
    kind: z.enum(METER_KINDS, { error: `kind: must be one of ${METER_KINDS.join(', ')}; grid for the supply meter, generation for solar, consumption for a sub-meter` }),
    driver: z.enum(METER_DRIVERS, { error: `driver: must be one of ${METER_DRIVERS.join(', ')}, the way the sensor node reads the meter` }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}; send householdId, kind and driver` : 'send {"householdId": "...", "kind": "...", "driver": "..."} as JSON') },
);

/** 400 with every problem on its own line, as governance answers: "Cannot add the household:\n  label: ...". */
function badRequest(reply: FastifyReply, what: string, error: z.ZodError): FastifyReply {
  return reply.status(400).send({ error: `Cannot ${what}:\n  ${error.issues.map((issue) => issue.message).join('\n  ')}` });
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function registerVolunteerRoutes(app: FastifyInstance, deps: VolunteerRouteDeps, guard: preHandlerHookHandler, householdsReadGuard: preHandlerHookHandler = guard): void {
  const { registry, health, clock } = deps;
  const log = deps.logger.child({ module: 'volunteer-routes' });
  const opts = { preHandler: guard };

  app.get(VOLUNTEER_ROUTES.sensors, opts, async (): Promise<SensorsAnswer> => {
    const now = clock.now();
    const sensors = registry.meters().map((meter): SensorHealth => {
      const household = registry.household(meter.householdId);
      const h = health.meter(meter.id);
      // Built field by field, never spread from health or the store, so no reading can slip in.
      return {
        meterId: meter.id,
        householdId: meter.householdId,
        householdLabel: household?.label ?? null,
        zone: household?.zone ?? null,
        kind: meter.kind,
        driver: meter.driver,
        online: h.online,
        lastSeenAt: iso(h.lastSeenAt),
        readingsLastHour: health.readingsLastHour(meter.id, now),
        readingsAccepted: h.readingsAccepted,
        duplicates: h.duplicates,
        rejected: h.rejected,
        rejectedByCode: { ...h.rejectedByCode },
        lastRejection: h.lastRejection ? { at: h.lastRejection.at, code: h.lastRejection.code, summary: h.lastRejection.summary } : null,
        device: h.device
          ? { driver: h.device.driver ?? null, firmware: h.device.firmware ?? null, agentVersion: h.device.agentVersion ?? null, lastError: h.device.lastError ?? null }
          : null,
      };
    });
    return { at: new Date(now).toISOString(), sensors };
  });

  app.get(VOLUNTEER_ROUTES.households, { preHandler: householdsReadGuard }, async () => {
    const households = await deps.commands().listHouseholds();
    return { households: households.map((h) => ({ id: h.id, label: h.label, zone: h.zone, meters: h.meters, createdAt: h.createdAt })) };
  });

  app.post<{ Body: unknown }>(VOLUNTEER_ROUTES.households, opts, async (request, reply) => {
    const body = householdBody.safeParse(request.body ?? {});
    if (!body.success) return badRequest(reply, 'add the household', body.error);
    const household = await deps.commands().addHousehold(body.data);
    log.info({ householdId: household.id, by: request.adminUser?.username }, 'household added');
    return reply.status(201).send({ id: household.id, label: household.label, zone: household.zone, meters: 0, createdAt: household.createdAt });
  });

  app.post<{ Body: unknown }>(VOLUNTEER_ROUTES.meters, opts, async (request, reply) => {
    const body = meterBody.safeParse(request.body ?? {});
    if (!body.success) return badRequest(reply, 'add the meter', body.error);
    if (!registry.household(body.data.householdId)) {
      return reply.status(404).send({ error: `householdId: no household "${body.data.householdId}"; reload the page and choose one from the list, or add the household first` });
    }
    const pairing: MeterPairing = await deps.commands().addMeterWithPairingCode(body.data);
    log.info({ meterId: pairing.meterId, householdId: body.data.householdId, by: request.adminUser?.username }, 'meter added; pairing code handed out');
    return reply.status(201).send(pairing);
  });
}
