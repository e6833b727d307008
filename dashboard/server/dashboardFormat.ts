import type { DashboardStrings } from './dashboardStrings.js';

/**
 * Numbers and dates as residents read them, in the strings' locale. Energy is
 * shown in kWh (MWh from 10,000 kWh), with one decimal below 100 so small days
 * do not round to nothing.
 */
export interface DashboardFormat {
  energy(wh: number): { value: string; unit: string };
  energyText(wh: number): string;
  /** Power as "12.3 kW" (W below 1 kW). */
  powerText(w: number): string;
  mass(kg: number): { value: string; unit: string };
  percent(value: number): string;
  /** A `YYYY-MM-DD` key as "Sunday 22 November". */
  day(day: string): string;
  weekday(day: string): string;
  /** A history key at a scale: day, week (Monday), month or year. */
  period(key: string, scale: 'day' | 'week' | 'month' | 'year'): string;
  /** An instant as local "14:05" in the hub's time zone. */
  time(t: number): string;
}

export function createDashboardFormat(strings: DashboardStrings, timeZone: string): DashboardFormat {
  const locale = strings.locale;
  const number = (digits: number) => new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const whole = number(0);
  const oneDecimal = number(1);
  const dayFormat = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long' });
  const weekdayFormat = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', weekday: 'long' });
  const shortDay = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', day: 'numeric', month: 'short' });
  const monthFormat = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', month: 'long', year: 'numeric' });
  const timeFormat = new Intl.DateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit' });
  const utcDate = (key: string) => new Date(`${key.length === 7 ? `${key}-01` : key}T00:00:00Z`);

  function energy(wh: number) {
    const kwh = wh / 1000;
    if (Math.abs(kwh) >= 10_000) return { value: oneDecimal.format(kwh / 1000), unit: strings.t('common.unitMwh') };
    return { value: (Math.abs(kwh) < 100 ? oneDecimal : whole).format(kwh), unit: strings.t('common.unitKwh') };
  }
  return {
    energy,
    energyText(wh) {
      const e = energy(wh);
      return `${e.value} ${e.unit}`;
    },
    powerText(w) {
      if (Math.abs(w) < 1000) return `${whole.format(w)} ${strings.t('common.unitW')}`;
      return `${oneDecimal.format(w / 1000)} ${strings.t('common.unitKw')}`;
    },
    mass(kg) {
      if (kg >= 10_000) return { value: oneDecimal.format(kg / 1000), unit: strings.t('common.unitTonnes') };
      return { value: (kg < 100 ? oneDecimal : whole).format(kg), unit: strings.t('common.unitKg') };
    },
    percent: (value) => new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(value / 100),
    day: (day) => dayFormat.format(utcDate(day)),
    weekday: (day) => weekdayFormat.format(utcDate(day)),
    period(key, scale) {
      if (scale === 'day' || scale === 'week') return shortDay.format(utcDate(key));
      if (scale === 'month') return monthFormat.format(utcDate(key));
      return key;
    },
    time: (t) => timeFormat.format(new Date(t)),
  };
}
