import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { z } from 'zod';
import { DurableJsonAdapter } from './durableJsonAdapter.js';

/**
 * Households and meters (ARCHITECTURE.md "Identity"), in registry.json.
 * A household's label is private: it never leaves the admin surfaces.
 */

export const METER_KINDS = ['grid', 'generation', 'consumption'] as const;
export const METER_DRIVERS = ['s0', 'dsmr', 'modbus', 'mqtt'] as const;
export type MeterKind = (typeof METER_KINDS)[number];
export type MeterDriver = (typeof METER_DRIVERS)[number];

/** The registers each kind of meter reports (ARCHITECTURE.md "A reading"). */
export const REGISTERS_BY_KIND: Record<MeterKind, readonly string[]> = {
  grid: ['importWh', 'exportWh'],
  generation: ['generationWh'],
  consumption: ['consumptionWh'],
};

const householdSchema = z.object({
  id: z.string(),
  label: z.string(),
  zone: z.string().nullable(),
  createdAt: z.string(),
});
const meterSchema = z.object({
  id: z.string(),
  householdId: z.string(),
  kind: z.enum(METER_KINDS),
  driver: z.enum(METER_DRIVERS),
  secretHash: z.string(),
  createdAt: z.string(),
});
const registrySchema = z.object({
  version: z.literal(1),
  households: z.array(householdSchema),
  meters: z.array(meterSchema),
});

export type Household = z.infer<typeof householdSchema>;
export type Meter = z.infer<typeof meterSchema>;
type RegistryDocument = z.infer<typeof registrySchema>;

export interface Registry {
  households(): readonly Household[];
  meters(): readonly Meter[];
  household(id: string): Household | undefined;
  meter(id: string): Meter | undefined;
  metersOf(householdId: string): readonly Meter[];
  addHousehold(input: { label: string; zone?: string | null }, now: number): Promise<Household>;
  removeHousehold(id: string): Promise<Household>;
  addMeter(input: { householdId: string; kind: MeterKind; driver: MeterDriver; secretHash: string }, now: number): Promise<Meter>;
  removeMeter(id: string): Promise<Meter>;
  /** Replaces a meter's secret (pairing hands out a fresh one). */
  setMeterSecret(id: string, secretHash: string): Promise<Meter>;
}

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly code: 'not_found' | 'conflict' | 'invalid',
  ) {
    super(message);
  }
}

export async function openRegistry(dataDir: string): Promise<Registry> {
  const file = join(dataDir, 'registry.json');
  const db = new Low<RegistryDocument>(new DurableJsonAdapter(file), { version: 1, households: [], meters: [] });
  await db.read();
  const parsed = registrySchema.safeParse(db.data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`${file} does not hold a valid registry (${problems}). Restore it from a backup.`);
  }
  db.data = parsed.data;
  const data = () => db.data;

  return {
    households: () => data().households,
    meters: () => data().meters,
    household: (id) => data().households.find((h) => h.id === id),
    meter: (id) => data().meters.find((m) => m.id === id),
    metersOf: (householdId) => data().meters.filter((m) => m.householdId === householdId),

    async addHousehold({ label, zone }, now) {
      const trimmed = label.trim();
      if (trimmed.length === 0 || trimmed.length > 100) {
        throw new RegistryError(`--label: must be 1–100 characters (got ${JSON.stringify(label)}).`, 'invalid');
      }
      if (zone != null && !/^[\p{L}\p{N} ._'-]{1,60}$/u.test(zone)) {
        throw new RegistryError(`--zone: must be 1–60 letters, digits, spaces or . _ ' - (got ${JSON.stringify(zone)}).`, 'invalid');
      }
      const household: Household = { id: newId('h', data().households), label: trimmed, zone: zone ?? null, createdAt: new Date(now).toISOString() };
      await db.update((d) => void d.households.push(household));
      return household;
    },

    async removeHousehold(id) {
      const household = data().households.find((h) => h.id === id);
      if (!household) throw new RegistryError(`Household ${JSON.stringify(id)} does not exist; see \`commonwatt households list\`.`, 'not_found');
      const meters = data().meters.filter((m) => m.householdId === id);
      if (meters.length > 0) {
        throw new RegistryError(
          `Household ${id} still has meters (${meters.map((m) => m.id).join(', ')}); remove them first with \`commonwatt meters remove ID\`.`,
          'conflict',
        );
      }
      await db.update((d) => {
        d.households = d.households.filter((h) => h.id !== id);
      });
      return household;
    },

    async addMeter({ householdId, kind, driver, secretHash }, now) {
      if (!data().households.some((h) => h.id === householdId)) {
        throw new RegistryError(`--household: ${JSON.stringify(householdId)} does not exist; see \`commonwatt households list\`.`, 'not_found');
      }
      const meter: Meter = { id: newId('m', data().meters), householdId, kind, driver, secretHash, createdAt: new Date(now).toISOString() };
      await db.update((d) => void d.meters.push(meter));
      return meter;
    },

    async setMeterSecret(id, secretHash) {
      const meter = data().meters.find((m) => m.id === id);
      if (!meter) throw new RegistryError(`Meter ${JSON.stringify(id)} does not exist; see \`commonwatt meters list\`.`, 'not_found');
      await db.update(() => {
        meter.secretHash = secretHash;
      });
      return meter;
    },

    async removeMeter(id) {
      const meter = data().meters.find((m) => m.id === id);
      if (!meter) throw new RegistryError(`Meter ${JSON.stringify(id)} does not exist; see \`commonwatt meters list\`.`, 'not_found');
      await db.update((d) => {
        d.meters = d.meters.filter((m) => m.id !== id);
      });
      return meter;
    },
  };
}

/** Short ids safe in MQTT topics and usernames: a prefix and 8 base-32 characters. */
function newId(prefix: 'h' | 'm', existing: readonly { id: string }[]): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  for (;;) {
    const bytes = randomBytes(8);
    let id = `${prefix}-`;
    for (const byte of bytes) id += alphabet[byte % alphabet.length];
    if (!existing.some((e) => e.id === id)) return id;
  }
}
