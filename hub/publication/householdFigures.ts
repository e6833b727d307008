import type { ReadingStore } from '../storage/readingStore.js';
import type { Meter } from '../storage/registry.js';
import type { Metric } from './publicationTypes.js';

/**
 * Per-household energy for a metric and a run of periods, from the meters'
 * interval energy (PRIVACY-RULES.md "The unit": a household's meters are summed
 * before any rule is applied). A household counts for a period only if every
 * meter the metric needs covered the whole period; otherwise it is left out and
 * the figure's completeness says so.
 *
 * - generation: the household's generation meters (none: a true zero);
 * - import, export: its grid meter(s) (none: not a contributor);
 * - consumption: generation + import − export, for households with a grid meter.
 */

export type PublishedResolution = '30min' | 'hour' | 'day';

export interface Period {
  start: number;
  end: number;
  /** Local day key for daily periods. */
  day?: string;
}

export interface HouseholdMeters {
  householdId: string;
  meters: readonly Pick<Meter, 'id' | 'kind'>[];
}

export interface PeriodValues {
  period: Period;
  /** Households with complete data, with their value in Wh. */
  values: Map<string, number>;
  /** Households that could contribute (have the meters), complete or not. */
  eligible: Set<string>;
}

const HALF_HOUR = 1_800_000;

export function periodsBetween(store: ReadingStore, resolution: PublishedResolution, from: number, to: number): Period[] {
  const periods: Period[] = [];
  if (resolution === 'day') {
    const calendar = store.calendar;
    for (let day = calendar.dayKey(from); ; ) {
      const bounds = calendar.dayBounds(day);
      if (bounds.start >= to) break;
      if (bounds.start >= from) periods.push({ ...bounds, day });
      day = calendar.dayKey(bounds.end);
    }
    return periods;
  }
  const step = resolution === 'hour' ? 2 * HALF_HOUR : HALF_HOUR;
  for (let start = Math.ceil(from / step) * step; start + step <= to; start += step) periods.push({ start, end: start + step });
  return periods;
}

function needs(metric: Metric): { generation: boolean; grid: boolean } {
  return { generation: metric === 'generation' || metric === 'consumption', grid: metric !== 'generation' };
}

/** Values of one metric for every household and period in [from, to). */
export function householdValues(
  store: ReadingStore,
  households: readonly HouseholdMeters[],
  metric: Metric,
  resolution: PublishedResolution,
  periods: readonly Period[],
): PeriodValues[] {
  const out: PeriodValues[] = periods.map((period) => ({ period, values: new Map<string, number>(), eligible: new Set<string>() }));
  if (periods.length === 0) return out;
  const from = periods[0]!.start;
  const to = periods[periods.length - 1]!.end;
  const need = needs(metric);
  for (const household of households) {
    const grid = household.meters.filter((m) => m.kind === 'grid');
    const generation = household.meters.filter((m) => m.kind === 'generation');
    if (need.grid && grid.length === 0) continue;
    const relevant = [...(need.grid ? grid : []), ...(need.generation ? generation : [])];
    // Per meter, energy and coverage per period.
    const perMeter = relevant.map((meter) => ({ meter, byPeriod: meterPeriods(store, meter.id, resolution, periods, from, to) }));
    out.forEach((slot, i) => {
      slot.eligible.add(household.householdId);
      let value = 0;
      for (const { meter, byPeriod } of perMeter) {
        const e = byPeriod[i];
        if (!e || e.coveredMs < slot.period.end - slot.period.start - 1) return; // incomplete: left out
        if (meter.kind === 'generation') value += e.generationWh;
        else if (metric === 'import') value += e.importWh;
        else if (metric === 'export') value += e.exportWh;
        else value += e.importWh - e.exportWh;
      }
      slot.values.set(household.householdId, value);
    });
  }
  return out;
}

interface Energy {
  importWh: number;
  exportWh: number;
  generationWh: number;
  coveredMs: number;
}

function meterPeriods(store: ReadingStore, meterId: string, resolution: PublishedResolution, periods: readonly Period[], from: number, to: number): Array<Energy | undefined> {
  const source = resolution === 'day' ? 'day' : resolution === 'hour' ? 'hour' : '5min';
  const rows = store.intervals([meterId], source, from, to);
  const result: Array<Energy | undefined> = periods.map(() => undefined);
  let p = 0;
  for (const row of rows) {
    while (p < periods.length && periods[p]!.end <= row.start) p++;
    if (p >= periods.length) break;
    if (row.start < periods[p]!.start) continue;
    const slot = (result[p] ??= { importWh: 0, exportWh: 0, generationWh: 0, coveredMs: 0 });
    slot.importWh += row.importWh;
    slot.exportWh += row.exportWh;
    slot.generationWh += row.generationWh;
    slot.coveredMs += row.coverage * (row.end - row.start);
  }
  return result;
}
