import type { DashboardFormat } from './dashboardFormat.js';
import type { DashboardStrings } from './dashboardStrings.js';
import { html, type RawHtml } from './html.js';
import { addDays, type DayTotals, type HistoryScale, type PublicSummary } from './publicSummary.js';
import type { LiveGenerationFigure } from '../../hub/publication/liveGeneration.js';

/**
 * The residents' view (`/`): yesterday's released neighbourhood figures in
 * words a resident reads in two seconds, comparisons, history and what each
 * figure means. Everything is rendered here so it shows without JavaScript;
 * `residents.js` draws the charts and swaps in new figures when they are released.
 */

export const HISTORY_SCALES: readonly HistoryScale[] = ['day', 'week', 'month', 'year'];

export interface ResidentsView {
  summary: PublicSummary;
  strings: DashboardStrings;
  format: DashboardFormat;
  /** Today in the hub's time zone, `YYYY-MM-DD`. */
  today: string;
  historyScale: HistoryScale;
  /** "Solar generation now": undefined when the group has not turned it on. */
  live?: { figure: LiveGenerationFigure | null; time: string };
}

export function renderResidentsMain(view: ResidentsView): RawHtml {
  return html`<p class="live-status" data-live-status role="status" hidden></p>
<div data-live-region>${renderResidentsFigures(view)}</div>
${renderHistory(view)}
${renderMeaning(view)}`;
}

/** The part that changes when figures are released; also served alone for live updates. */
export function renderResidentsFigures(view: ResidentsView): RawHtml {
  return html`${view.live ? renderLive(view) : ''}${renderReleased(view)}`;
}

function renderLive(view: ResidentsView): RawHtml {
  const { strings: s, format: f } = view;
  const figure = view.live!.figure;
  const body =
    figure === null
      ? html`<p>${s.t('residents.liveNone')}</p>`
      : figure.powerW === null && figure.todayWh === null
        ? html`<p>${s.t('residents.liveHeld')}</p>`
        : html`${figure.powerW !== null
            ? html`<p class="live-power">${figure.powerW === 0 ? s.t('residents.livePowerZero') : s.t('residents.livePower', { power: f.powerText(figure.powerW) })}</p>`
            : ''}
  ${figure.todayWh !== null ? html`<p class="live-today">${s.t('residents.liveToday', { energy: f.energyText(figure.todayWh) })}</p>` : ''}
  <p class="muted">${s.t('residents.liveAt', { time: view.live!.time, households: figure.householdsAtLeast })}</p>`;
  return html`<section class="live-now" aria-labelledby="live-title">
  <h2 id="live-title"><span class="live-dot" aria-hidden="true"></span> ${s.t('residents.liveTitle')}</h2>
  ${body}
</section>`;
}

function renderReleased(view: ResidentsView): RawHtml {
  const { summary, strings: s, format: f } = view;
  const latest = summary.latest;
  if (!latest) {
    return html`<section class="hero" aria-labelledby="hero-title">
  <h1 id="hero-title">${s.t('residents.nothingYetTitle')}</h1>
  <p class="lede">${s.t('residents.nothingYetText')} <a href="/about">${s.t('common.navAbout')}</a></p>
</section>`;
  }
  const dayLabel =
    latest.day === addDays(view.today, -1)
      ? s.t('residents.dayLabelYesterday', { date: f.day(latest.day) })
      : s.t('residents.dayLabelOther', { date: f.day(latest.day) });
  const generation = latest.generationWh === null ? null : f.energy(latest.generationWh);
  const cover = summary.cover;

  return html`<section class="hero" aria-labelledby="hero-title">
  <p class="eyebrow">${dayLabel}</p>
  ${generation
    ? html`<h1 id="hero-title"><span class="hero-lead">${s.t('residents.heroMade')}</span> <span class="hero-number" data-figure="generation">${generation.value}<span class="unit"> ${generation.unit}</span></span></h1>`
    : html`<h1 id="hero-title">${s.t('residents.cardConsumption')}</h1>`}
  ${cover
    ? html`<p class="lede">${s.t(cover.kind === 'selfSufficiency' ? 'residents.heroCoverSelf' : 'residents.heroCoverShare', { percent: f.percent(cover.percent) })}</p>`
    : ''}
  <p class="coverage">${coverageLine(latest, s, f)}</p>
  ${summary.latest && summary.latest.day < summary.expectedDay ? html`<p class="notice" role="status">${s.t('residents.late', { date: f.day(summary.expectedDay) })}</p>` : ''}
</section>
<section class="cards" aria-label="${dayLabel}">
  ${latest.generationWh !== null ? card(s.t('residents.cardGeneration'), f.energy(latest.generationWh), comparisons(view, 'generationWh'), 'solar') : ''}
  ${latest.consumptionWh !== null ? card(s.t('residents.cardConsumption'), f.energy(latest.consumptionWh), comparisons(view, 'consumptionWh'), 'use') : ''}
  ${cover
    ? card(
        s.t(cover.kind === 'selfSufficiency' ? 'residents.cardSelf' : 'residents.cardShare'),
        { value: f.percent(cover.percent), unit: '' },
        html``,
        'cover',
      )
    : ''}
  ${summary.co2
    ? card(s.t('residents.cardCo2'), f.mass(summary.co2.avoidedKg), html`<p class="card-detail">${s.t('residents.co2Detail', { grams: summary.co2.gramsPerKwh })}</p>`, 'co2')
    : ''}
</section>
${renderZones(view)}
<details class="why">
  <summary>${s.t('residents.whyNotToday')}</summary>
  <p>${s.t(view.live ? 'residents.whyNotTodayTextLive' : 'residents.whyNotTodayText', { days: summary.delayDays === null || summary.delayDays === 1 ? s.t('residents.dayWord') : s.t('residents.daysWord', { days: summary.delayDays }) })}</p>
</details>`;
}

function coverageLine(day: DayTotals, s: DashboardStrings, f: DashboardFormat): string {
  if (day.householdsAtLeast === null) return '';
  return day.completenessPercent === null
    ? s.t('residents.coverageNoPercent', { households: day.householdsAtLeast })
    : s.t('residents.coverage', { households: day.householdsAtLeast, percent: f.percent(day.completenessPercent) });
}

function card(title: string, value: { value: string; unit: string }, detail: RawHtml, kind: string): RawHtml {
  return html`<article class="card card-${kind}">
  <h2>${title}</h2>
  <p class="card-value">${value.value}${value.unit ? html`<span class="unit"> ${value.unit}</span>` : ''}</p>
  ${detail}
</article>`;
}

function comparisons(view: ResidentsView, field: 'generationWh' | 'consumptionWh'): RawHtml {
  const { summary, strings: s, format: f } = view;
  const latest = summary.latest!;
  const rows: Array<{ when: string; other: DayTotals | null }> = [
    { when: s.t('residents.compareDayBefore'), other: summary.dayBefore },
    { when: s.t('residents.compareWeekBefore', { weekday: f.weekday(latest.day) }), other: summary.weekBefore },
  ];
  return html`<ul class="compare">${rows.map(({ when, other }) => {
    const before = other?.[field] ?? null;
    const now = latest[field];
    if (before === null || now === null || before === 0) return html`<li>${s.t('residents.compareMissing', { when })}</li>`;
    const change = Math.round((100 * (now - before)) / before);
    if (change === 0) return html`<li>${s.t('residents.compareSame', { when })} (${f.energyText(before)})</li>`;
    const key = change > 0 ? 'residents.compareUp' : 'residents.compareDown';
    return html`<li class="${change > 0 ? 'up' : 'down'}"><span aria-hidden="true">${change > 0 ? '▲' : '▼'}</span> ${s.t(key, { percent: f.percent(Math.abs(change)), when })} (${f.energyText(before)})</li>`;
  })}</ul>`;
}

const SCALE_KEYS: Record<HistoryScale, string> = { day: 'residents.historyDay', week: 'residents.historyWeek', month: 'residents.historyMonth', year: 'residents.historyYear' };

function renderHistory(view: ResidentsView): RawHtml {
  const { summary, strings: s, format: f } = view;
  const scale = view.historyScale;
  const points = summary.history[scale];
  const scaleName = s.t(SCALE_KEYS[scale]).toLowerCase();
  return html`<section class="history" id="history" aria-labelledby="history-title">
  <h2 id="history-title">${s.t('residents.historyTitle')}</h2>
  <nav class="scale-switch" aria-label="${s.t('residents.historyScaleLabel')}">
    ${HISTORY_SCALES.map((sc) => html`<a href="?history=${sc}#history" data-scale="${sc}"${sc === scale ? html` aria-current="true"` : ''}>${s.t(SCALE_KEYS[sc])}</a>`)}
  </nav>
  <div class="chart" data-chart role="img" aria-label="${s.t('residents.chartLabel', { scale: scaleName })}" hidden></div>
  ${points.length === 0
    ? html`<p>${s.t('residents.historyEmpty')}</p>`
    : html`<details class="history-table" data-history-table open>
  <summary>${s.t('residents.historyShowTable')}</summary>
  <div class="table-scroll"><table>
    <caption>${s.t('residents.historyTableCaption', { scale: scaleName })}</caption>
    <thead><tr><th scope="col">${s.t('residents.historyPeriod')}</th><th scope="col">${s.t('residents.chartGeneration')}</th><th scope="col">${s.t('residents.chartConsumption')}</th></tr></thead>
    <tbody>${[...points].reverse().map(
      (p) => html`<tr><th scope="row">${f.period(p.key, scale)}${scale !== 'day' ? html` <span class="muted">(${s.t('residents.historyPartial', { days: p.days })})</span>` : ''}</th>
      <td>${p.generationWh === null ? '–' : f.energy(p.generationWh).value}</td><td>${p.consumptionWh === null ? '–' : f.energy(p.consumptionWh).value}</td></tr>`,
    )}</tbody>
  </table></div>
</details>`}
  <p><a href="/api/public/export/figures.csv" download>${s.t('residents.downloadData')}</a></p>
</section>`;
}

function renderMeaning(view: ResidentsView): RawHtml {
  const s = view.strings;
  const cover = view.summary.cover;
  const item = (term: string, text: string) => html`<dt>${term}</dt><dd>${text}</dd>`;
  return html`<section class="meaning" aria-labelledby="meaning-title">
  <h2 id="meaning-title">${s.t('residents.meaningTitle')}</h2>
  <dl>
    ${item(s.t('residents.cardGeneration'), s.t('residents.meaningGeneration'))}
    ${item(s.t('residents.cardConsumption'), s.t('residents.meaningConsumption'))}
    ${cover?.kind === 'selfSufficiency' ? item(s.t('residents.cardSelf'), s.t('residents.meaningSelf')) : item(s.t('residents.cardShare'), s.t('residents.meaningShare'))}
    ${item(s.t('residents.cardCo2'), s.t('residents.meaningCo2'))}
    ${item(s.t('residents.meaningHouseholdsTerm'), s.t('residents.meaningHouseholds'))}
    ${item(s.t('residents.meaningCompleteTerm'), s.t('residents.meaningComplete'))}
  </dl>
</section>`;
}

function renderZones(view: ResidentsView): RawHtml {
  const { summary, strings: s, format: f } = view;
  if (summary.zones.length === 0) return html``;
  const value = (wh: number | null) => (wh === null ? '–' : f.energy(wh).value);
  return html`<section class="zones" aria-labelledby="zones-title">
  <h2 id="zones-title">${s.t('residents.zonesTitle')}</h2>
  <p class="muted">${s.t('residents.zonesIntro')}</p>
  <div class="table-scroll"><table>
    <thead><tr><th scope="col">${s.t('residents.zonesPart')}</th><th scope="col">${s.t('residents.chartGeneration')} (${s.t('common.unitKwh')})</th><th scope="col">${s.t('residents.chartConsumption')} (${s.t('common.unitKwh')})</th><th scope="col">${s.t('residents.zonesHouseholds')}</th></tr></thead>
    <tbody>${summary.zones.map(
      (z) => html`<tr><th scope="row">${z.label}</th><td>${value(z.generationWh)}</td><td>${value(z.consumptionWh)}</td><td>${z.householdsAtLeast === null ? '–' : s.t('residents.zonesHouseholdsValue', { households: z.householdsAtLeast })}</td></tr>`,
    )}</tbody>
  </table></div>
</section>`;
}
