import type { MqttClient } from 'mqtt';
import type { TestHub } from './testHub.js';
import { publishAcked } from './testHub.js';

/**
 * Households for publication tests, each with a grid meter and optionally a
 * solar meter, drawing and generating constant power, so every released figure
 * has an exact expected value. Readings go through the real broker with each
 * meter's own credentials, as backlog arrays of 5-minute readings.
 */

export interface SimulatedHousehold {
  householdId: string;
  zone: string | null;
  /** Constant watts. */
  importW: number;
  solarW: number;
  gridMeter: { meterId: string; topic: string; client: MqttClient };
  solarMeter: { meterId: string; topic: string; client: MqttClient } | null;
}

export async function addHouseholds(th: TestHub, specs: Array<{ zone: string | null; importW: number; solarW: number }>): Promise<SimulatedHousehold[]> {
  const out: SimulatedHousehold[] = [];
  for (const [i, spec] of specs.entries()) {
    const household = await th.hub.commands.addHousehold({ label: `Sim ${i} ${spec.zone ?? ''}`.trim(), zone: spec.zone });
    const grid = await th.hub.commands.addMeter({ householdId: household.id, kind: 'grid', driver: 'mqtt' });
    const gridClient = await th.connect(grid);
    let solarMeter: SimulatedHousehold['solarMeter'] = null;
    if (spec.solarW > 0) {
      const solar = await th.hub.commands.addMeter({ householdId: household.id, kind: 'generation', driver: 'mqtt' });
      solarMeter = { meterId: solar.meterId, topic: solar.topic, client: await th.connect(solar) };
    }
    out.push({ householdId: household.id, zone: spec.zone, importW: spec.importW, solarW: spec.solarW, gridMeter: { meterId: grid.meterId, topic: grid.topic, client: gridClient }, solarMeter });
  }
  return out;
}

const STEP = 300_000;

/** Publishes 5-minute readings over [from, to] for every household; registers count from `origin`, so spans can follow each other. */
export async function publishSpan(households: readonly SimulatedHousehold[], from: number, to: number, origin: number): Promise<void> {
  const base = 1_000_000;
  for (const h of households) {
    const grid: object[] = [];
    const solar: object[] = [];
    for (let t = from; t <= to; t += STEP) {
      const hours = (t - origin) / 3_600_000;
      grid.push({ t, importWh: Math.round(base + h.importW * hours), exportWh: 0 });
      if (h.solarMeter) solar.push({ t, generationWh: Math.round(base + h.solarW * hours) });
    }
    for (let i = 0; i < grid.length; i += 500) await publishAcked(h.gridMeter.client, h.gridMeter.topic, JSON.stringify(grid.slice(i, i + 500)));
    if (h.solarMeter) for (let i = 0; i < solar.length; i += 500) await publishAcked(h.solarMeter.client, h.solarMeter.topic, JSON.stringify(solar.slice(i, i + 500)));
  }
}
