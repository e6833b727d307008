import type { LocalCalendar } from '../../hub/rollups/localTime.js';
import type { PublishedResolution } from '../../hub/publication/householdFigures.js';
import type { Metric } from '../../hub/publication/publicationTypes.js';
import type { PublicFigure } from '../../hub/publication/releasedFigures.js';
import type { PublicSurfaceSources } from '../../hub/publication/publicSurfaces.js';

/**
 * What the residents' view and the kiosk show, computed from released
 * neighbourhood figures only (PRIVACY-RULES.md "Data tiers": the open tier).
 * Nothing here reads readings, households or meters, so nothing here can show
 * them. Sums of released figures (a week, a month) are themselves public.
 */

export interface DayTotals {
  day: string;
  generationWh: number | null;
  consumptionWh: number | null;
  importWh: number | null;
  exportWh: number | null;
  /** The smallest household count among the day's figures, as released (a multiple of 5). */
  householdsAtLeast: number | null;
  /** The lowest completeness among the day's figures, as released (rounded down to 5 %). */
  completenessPercent: number | null;
}

export interface HistoryPoint {
  /** `YYYY-MM-DD` (day, or the Monday a week starts), `YYYY-MM` or `YYYY`. */
  key: string;
  generationWh: number | null;
  consumptionWh: number | null;
  /** Days with a released figure in this period. */
  days: number;
}

export type HistoryScale = 'day' | 'week' | 'month' | 'year';

/** A published zone's released figures for the latest day; null where a figure was held back. */
export interface ZoneDay {
  id: string;
  label: string;
  generationWh: number | null;
  consumptionWh: number | null;
  householdsAtLeast: number | null;
}

export interface PublicSummary {
  /** When this summary was computed (ISO 8601). */
  at: string;
  timeZone: string;
  /** Neighbourhood metrics the group publishes; empty when nothing is published. */
  metrics: Metric[];
  /** Days after which a day's figures are released. */
  delayDays: number | null;
  latest: DayTotals | null;
  dayBefore: DayTotals | null;
  weekBefore: DayTotals | null;
  /** The most recent day whose figures could be out by now. */
  expectedDay: string;
  /**
   * Share of the neighbourhood's use that its own solar covered: from import and
   * consumption when both are published ('selfSufficiency'), otherwise generation
   * as a share of use ('generationShare'), which also counts solar sent to the grid.
   */
  cover: { kind: 'selfSufficiency' | 'generationShare'; percent: number } | null;
  co2: { gramsPerKwh: number; avoidedKg: number } | null;
  history: Record<HistoryScale, HistoryPoint[]>;
  /** Zones the group publishes (daily), for the latest day; empty when it publishes none. */
  zones: ZoneDay[];
}

export interface PublicSummaryOptions {
  sources: Pick<PublicSurfaceSources, 'publishedGroups' | 'released' | 'policyView'>;
  calendar: LocalCalendar;
  now: number;
  co2GramsPerKwh: number;
}

const NEIGHBOURHOOD = 'neighbourhood';
const DAY_MS = 86_400_000;
const RESOLUTION_MS: Record<PublishedResolution, number> = { '30min': 1_800_000, hour: 3_600_000, day: DAY_MS };
const HISTORY_LENGTH: Record<HistoryScale, number> = { day: 31, week: 26, month: 13, year: 10 };

export function computePublicSummary(options: PublicSummaryOptions): PublicSummary {
  const { calendar, now } = options;
  const group = options.sources.publishedGroups().find((g) => g.id === NEIGHBOURHOOD);
  const metrics = group ? [...group.metrics] : [];
  const delays = (options.sources.policyView().inForce as Array<{ audience?: { tier?: string }; delayDays?: number; groups?: { neighbourhood?: boolean } }>)
    .filter((p) => p.audience?.tier === 'open' && p.groups?.neighbourhood === true && typeof p.delayDays === 'number')
    .map((p) => p.delayDays!);
  const delayDays = delays.length > 0 ? Math.min(...delays) : null;
  const expectedDay = addDays(calendar.dayKey(now), -(delayDays ?? 1));

  const days = new Map<string, DayTotals>();
  if (group) {
    // The coarsest resolution published is the cheapest to read; a year of days is one query per metric.
    const resolution = (['day', 'hour', '30min'] as const).find((r) => group.resolutions.includes(r))!;
    const from = calendar.dayBounds(addDays(calendar.dayKey(now), -(HISTORY_LENGTH.year * 366))).start;
    for (const metric of metrics) {
      const figures = options.sources.released.released({ audience: 'open', groupId: NEIGHBOURHOOD, metric, resolution, from });
      for (const [day, total] of wholeDays(figures, resolution, calendar)) {
        const totals = days.get(day) ?? emptyDay(day);
        totals[`${metric}Wh`] = total.totalWh;
        totals.householdsAtLeast = minOrNull(totals.householdsAtLeast, total.householdsAtLeast);
        totals.completenessPercent = minOrNull(totals.completenessPercent, total.completenessPercent);
        days.set(day, totals);
      }
    }
  }
  const ordered = [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
  const latest = ordered.at(-1) ?? null;
  const dayBefore = latest ? (days.get(addDays(latest.day, -1)) ?? null) : null;
  const weekBefore = latest ? (days.get(addDays(latest.day, -7)) ?? null) : null;

  const zones: ZoneDay[] = [];
  if (latest) {
    const { start, end } = calendar.dayBounds(latest.day);
    for (const zone of options.sources.publishedGroups().filter((g) => g.id !== NEIGHBOURHOOD && g.resolutions.includes('day'))) {
      const row: ZoneDay = { id: zone.id, label: zone.label, generationWh: null, consumptionWh: null, householdsAtLeast: null };
      for (const metric of zone.metrics.filter((m): m is 'generation' | 'consumption' => m === 'generation' || m === 'consumption')) {
        const figure = options.sources.released.released({ audience: 'open', groupId: zone.id, metric, resolution: 'day', from: start, to: end })[0];
        if (!figure) continue;
        row[`${metric}Wh`] = figure.totalWh;
        row.householdsAtLeast = minOrNull(row.householdsAtLeast, figure.householdsAtLeast);
      }
      zones.push(row);
    }
  }

  return {
    at: new Date(now).toISOString(),
    timeZone: calendar.timeZone,
    metrics,
    delayDays,
    latest,
    dayBefore,
    weekBefore,
    expectedDay,
    cover: latest ? cover(latest) : null,
    co2:
      latest && latest.generationWh !== null
        ? { gramsPerKwh: options.co2GramsPerKwh, avoidedKg: (latest.generationWh / 1000) * (options.co2GramsPerKwh / 1000) }
        : null,
    history: {
      day: periods(ordered, (day) => day, HISTORY_LENGTH.day),
      week: periods(ordered, weekStart, HISTORY_LENGTH.week),
      month: periods(ordered, (day) => day.slice(0, 7), HISTORY_LENGTH.month),
      year: periods(ordered, (day) => day.slice(0, 4), HISTORY_LENGTH.year),
    },
    zones,
  };
}

function cover(day: DayTotals): PublicSummary['cover'] {
  if (day.consumptionWh === null || day.consumptionWh <= 0) return null;
  if (day.importWh !== null) {
    const percent = Math.round((100 * Math.max(0, day.consumptionWh - day.importWh)) / day.consumptionWh);
    return { kind: 'selfSufficiency', percent: Math.min(100, percent) };
  }
  if (day.generationWh === null) return null;
  return { kind: 'generationShare', percent: Math.round((100 * day.generationWh) / day.consumptionWh) };
}

/** Day totals from released figures; a day made of finer periods counts only when every period of it was released. */
function wholeDays(figures: readonly PublicFigure[], resolution: PublishedResolution, calendar: LocalCalendar) {
  const out = new Map<string, { totalWh: number; householdsAtLeast: number; completenessPercent: number; periods: number }>();
  for (const f of figures) {
    const day = f.day ?? calendar.dayKey(Date.parse(f.periodStart));
    const d = out.get(day) ?? { totalWh: 0, householdsAtLeast: Infinity, completenessPercent: Infinity, periods: 0 };
    d.totalWh += f.totalWh;
    d.householdsAtLeast = Math.min(d.householdsAtLeast, f.householdsAtLeast);
    d.completenessPercent = Math.min(d.completenessPercent, f.completenessPercent);
    d.periods += 1;
    out.set(day, d);
  }
  if (resolution !== 'day') {
    for (const [day, d] of out) {
      const { start, end } = calendar.dayBounds(day);
      if (d.periods !== Math.round((end - start) / RESOLUTION_MS[resolution])) out.delete(day);
    }
  }
  return out;
}

function periods(ordered: readonly DayTotals[], keyOf: (day: string) => string, length: number): HistoryPoint[] {
  const byKey = new Map<string, HistoryPoint>();
  for (const d of ordered) {
    const key = keyOf(d.day);
    const point = byKey.get(key) ?? { key, generationWh: null, consumptionWh: null, days: 0 };
    point.generationWh = addOrNull(point.generationWh, d.generationWh);
    point.consumptionWh = addOrNull(point.consumptionWh, d.consumptionWh);
    point.days += 1;
    byKey.set(key, point);
  }
  return [...byKey.values()].slice(-length);
}

function emptyDay(day: string): DayTotals {
  return { day, generationWh: null, consumptionWh: null, importWh: null, exportWh: null, householdsAtLeast: null, completenessPercent: null };
}

const minOrNull = (a: number | null, b: number) => (a === null ? b : Math.min(a, b));
const addOrNull = (a: number | null, b: number | null) => (b === null ? a : (a ?? 0) + b);

/** Calendar arithmetic on `YYYY-MM-DD` keys, independent of time zones. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** The Monday on or before a day (ISO 8601 weeks). */
export function weekStart(day: string): string {
  const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(day, -weekday);
}
