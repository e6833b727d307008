import type { Registry, Household, MeterDriver, MeterKind } from '../storage/registry.js';
import type { ReadingStore, StorageHealth } from '../storage/readingStore.js';
import type { DeviceHealth, MeterHealth } from '../ingest/deviceHealth.js';
import { generateMeterSecret, hashMeterSecret } from '../broker/meterSecret.js';
import { meterTopics } from '../broker/topics.js';
import type { PairingCodes } from '../pairing/pairingCodes.js';

/**
 * What the CLI can ask of a hub. The same functions run inside a running hub
 * (behind its admin API) and on the data directory of a stopped hub, so both
 * paths give the same answers and the same errors.
 */

export interface MeterCredentials {
  meterId: string;
  username: string;
  password: string;
  mqttUrl: string;
  topic: string;
}

export interface MeterPairing {
  meterId: string;
  pairingCode: string;
  expiresAt: string;
  /** What the volunteer types on the sensor node. */
  pairCommand: string;
}

export interface MeterListEntry {
  meterId: string;
  householdId: string;
  kind: MeterKind;
  driver: MeterDriver;
  online: boolean | null;
  lastReadingAt: string | null;
  readings: number;
  rejected: number;
  lastRejection: string | null;
}

export interface HubStatus {
  running: boolean;
  uptimeSeconds: number | null;
  mqttPort: number | null;
  httpPort: number | null;
  households: number;
  meters: { total: number; online: number | null };
  storage: StorageHealth;
  timeZone: string;
}

export interface HubCommands {
  addHousehold(input: { label: string; zone?: string | null }): Promise<Household>;
  listHouseholds(): Promise<Array<Household & { meters: number }>>;
  removeHousehold(id: string): Promise<Household>;
  addMeter(input: { householdId: string; kind: MeterKind; driver: MeterDriver }): Promise<MeterCredentials>;
  /** Adds a meter whose secret is handed out later, once, for a pairing code. */
  addMeterWithPairingCode(input: { householdId: string; kind: MeterKind; driver: MeterDriver }): Promise<MeterPairing>;
  /** Trades a pairing code for the meter's fresh credentials (sensor node → hub). */
  redeemPairingCode(code: string, address: string): Promise<MeterCredentials & { kind: MeterKind; driver: MeterDriver }>;
  listMeters(): Promise<MeterListEntry[]>;
  removeMeter(id: string, options: { deleteReadings: boolean }): Promise<{ meterId: string; readingsDeleted: number }>;
  status(): Promise<HubStatus>;
}

export interface HubCommandContext {
  registry: Registry;
  store: ReadingStore;
  /** Live device health; null when the hub is stopped. */
  health: DeviceHealth | null;
  now(): number;
  mqttUrl(): string;
  /** The hub's HTTP URL as sensor nodes reach it. */
  httpUrl(): string;
  pairing: PairingCodes;
  running: { startedAt: number; mqttPort: number; httpPort: number } | null;
  timeZone: string;
  onMeterRemoved?(meterId: string): void;
}

export function createHubCommands(ctx: HubCommandContext): HubCommands {
  return {
    addHousehold: (input) => ctx.registry.addHousehold(input, ctx.now()),

    async listHouseholds() {
      return ctx.registry.households().map((h) => ({ ...h, meters: ctx.registry.metersOf(h.id).length }));
    },

    removeHousehold: (id) => ctx.registry.removeHousehold(id),

    async addMeter({ householdId, kind, driver }) {
      const password = generateMeterSecret();
      const meter = await ctx.registry.addMeter({ householdId, kind, driver, secretHash: await hashMeterSecret(password) }, ctx.now());
      return { meterId: meter.id, username: meter.id, password, mqttUrl: ctx.mqttUrl(), topic: meterTopics(meter.id).readings };
    },

    async addMeterWithPairingCode({ householdId, kind, driver }) {
      // Nobody ever sees this first secret; pairing replaces it.
      const meter = await ctx.registry.addMeter({ householdId, kind, driver, secretHash: await hashMeterSecret(generateMeterSecret()) }, ctx.now());
      const { code, expiresAt } = await ctx.pairing.create(meter.id, ctx.now());
      return {
        meterId: meter.id,
        pairingCode: code,
        expiresAt: new Date(expiresAt).toISOString(),
        pairCommand: `commonwatt sensor pair --hub ${ctx.httpUrl()} ${code}`,
      };
    },

    async redeemPairingCode(code, address) {
      const meterId = await ctx.pairing.redeem(code, address, ctx.now());
      const password = generateMeterSecret();
      const meter = await ctx.registry.setMeterSecret(meterId, await hashMeterSecret(password));
      return { meterId, username: meterId, password, mqttUrl: ctx.mqttUrl(), topic: meterTopics(meterId).readings, kind: meter.kind, driver: meter.driver };
    },

    async listMeters() {
      return ctx.registry.meters().map((m) => {
        const stats = ctx.store.stats(m.id);
        const health: MeterHealth | null = ctx.health?.meter(m.id) ?? null;
        return {
          meterId: m.id,
          householdId: m.householdId,
          kind: m.kind,
          driver: m.driver,
          online: health ? health.online : null,
          lastReadingAt: stats.lastT === null ? null : new Date(stats.lastT).toISOString(),
          readings: stats.readings,
          rejected: health?.rejected ?? 0,
          lastRejection: health?.lastRejection ? `${health.lastRejection.code}: ${health.lastRejection.summary}` : null,
        };
      });
    },

    async removeMeter(id, { deleteReadings }) {
      const meter = await ctx.registry.removeMeter(id);
      ctx.onMeterRemoved?.(meter.id);
      const readingsDeleted = deleteReadings ? await ctx.store.forgetMeter(meter.id) : 0;
      return { meterId: meter.id, readingsDeleted };
    },

    async status() {
      return {
        running: ctx.running !== null,
        uptimeSeconds: ctx.running ? Math.round((ctx.now() - ctx.running.startedAt) / 1000) : null,
        mqttPort: ctx.running?.mqttPort ?? null,
        httpPort: ctx.running?.httpPort ?? null,
        households: ctx.registry.households().length,
        meters: { total: ctx.registry.meters().length, online: ctx.health ? ctx.health.onlineCount() : null },
        storage: ctx.store.health(),
        timeZone: ctx.timeZone,
      };
    },
  };
}
