import type { DashboardFormat } from './dashboardFormat.js';
import type { DashboardStrings } from './dashboardStrings.js';
import { html, type RawHtml } from './html.js';
import { addDays, type PublicSummary } from './publicSummary.js';
import type { LiveGenerationFigure } from '../../hub/publication/liveGeneration.js';

/**
 * The community-centre screen (`/kiosk`): one large figure at a time, read
 * across a room. Panels are rendered here (the history as an inline SVG, so the
 * screen needs no chart library); `kiosk.js` cycles them, swaps in new panels
 * when figures are released and says plainly when it has lost the hub.
 */

export interface KioskView {
  summary: PublicSummary;
  strings: DashboardStrings;
  format: DashboardFormat;
  today: string;
  now: number;
  neighbourhoodName: string;
  /** "Solar generation now": undefined when the group has not turned it on. */
  live?: LiveGenerationFigure | null;
}

export function renderKioskMain(view: KioskView): RawHtml {
  const s = view.strings;
  return html`<h1 class="visually-hidden">${view.neighbourhoodName}: ${s.t('kiosk.title')}</h1>
<div class="kiosk-panels" data-kiosk-panels>${renderKioskPanels(view)}</div>
<div class="kiosk-status" data-kiosk-status role="status">
  <span class="kiosk-name">${view.neighbourhoodName}</span>
  <span class="kiosk-state" data-state="live"><span class="dot" aria-hidden="true"></span> <span data-status-text>${s.t('kiosk.statusLive', { time: view.format.time(view.now) })}</span></span>
  <span class="kiosk-privacy">${s.t(view.live === undefined ? 'kiosk.privacyLine' : 'kiosk.privacyLineLive')}</span>
</div>`;
}

export function renderKioskPanels(view: KioskView): RawHtml {
  const { summary, strings: s, format: f } = view;
  const latest = summary.latest;
  const panels: RawHtml[] = [];
  const live = view.live;
  if (live && live.powerW === 0 && live.todayWh !== null && live.todayWh > 0) {
    // After sunset the day's running total says more than "0 W".
    const e = f.energy(live.todayWh);
    panels.push(html`<section class="kiosk-panel panel-live" data-panel>
  <p class="kiosk-lead">${s.t('kiosk.panelLiveTodayOnly')}</p>
  <p class="kiosk-number">${e.value}<span class="unit"> ${e.unit}</span></p>
</section>`);
  } else if (live && live.powerW !== null && live.powerW > 0) {
    const [value, unit] = f.powerText(live.powerW).split(' ');
    panels.push(html`<section class="kiosk-panel panel-live" data-panel>
  <p class="kiosk-lead">${s.t('kiosk.panelLive')}</p>
  <p class="kiosk-number">${value}<span class="unit"> ${unit}</span></p>
  ${live.todayWh !== null ? html`<p class="kiosk-sub">${s.t('kiosk.panelLiveToday', { energy: f.energyText(live.todayWh) })}</p>` : ''}
</section>`);
  }
  if (!latest) {
    if (panels.length === 0) return html`<section class="kiosk-panel" data-panel><p class="kiosk-lead">${s.t('kiosk.nothingYet')}</p></section>`;
    return html`${panels}`;
  }
  const yesterday = latest.day === addDays(view.today, -1);
  if (latest.generationWh !== null) {
    const e = f.energy(latest.generationWh);
    panels.push(html`<section class="kiosk-panel panel-solar" data-panel>
  <p class="kiosk-lead">${yesterday ? s.t('kiosk.panelSolar') : s.t('kiosk.panelSolarOther', { date: f.day(latest.day) })}</p>
  <p class="kiosk-number">${e.value}<span class="unit"> ${e.unit}</span></p>
  ${latest.householdsAtLeast !== null ? html`<p class="kiosk-sub">${s.t('kiosk.panelHouseholds', { households: latest.householdsAtLeast })}</p>` : ''}
</section>`);
  }
  if (summary.cover) {
    panels.push(html`<section class="kiosk-panel panel-cover" data-panel>
  <p class="kiosk-number">${f.percent(summary.cover.percent)}</p>
  <p class="kiosk-lead">${summary.cover.kind === 'selfSufficiency' ? s.t('kiosk.panelCover') : s.t('kiosk.panelShare')}</p>
</section>`);
  }
  const recent = summary.history.day.slice(-14);
  if (recent.some((p) => p.generationWh !== null)) {
    panels.push(html`<section class="kiosk-panel panel-history" data-panel>
  <p class="kiosk-lead">${s.t('kiosk.panelHistory')}</p>
  ${barChart(
    recent.map((p) => ({ label: f.period(p.key, 'day'), short: String(Number(p.key.slice(8))), value: p.generationWh ?? 0, text: p.generationWh === null ? '–' : f.energyText(p.generationWh) })),
    s.t('kiosk.panelHistory'),
  )}
</section>`);
  }
  if (summary.co2) {
    const m = f.mass(summary.co2.avoidedKg);
    panels.push(html`<section class="kiosk-panel panel-co2" data-panel>
  <p class="kiosk-number">${m.value}<span class="unit"> ${m.unit}</span></p>
  <p class="kiosk-lead">${s.t('kiosk.panelCo2')}</p>
</section>`);
  }
  return html`${panels}`;
}

/** Bars with their values above and the day of the month under them, so the chart reads without colour or hover. */
function barChart(bars: Array<{ label: string; short: string; value: number; text: string }>, title: string): RawHtml {
  const width = 1400;
  const height = 560;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const slot = width / bars.length;
  const barWidth = slot * 0.7;
  const top = 70;
  const bottom = height - 60;
  const summary = bars.map((b) => `${b.label}: ${b.text}`).join('; ');
  return html`<svg class="kiosk-bars" viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}: ${summary}" preserveAspectRatio="xMidYMid meet">
  ${bars.map((b, i) => {
    const h = ((bottom - top) * b.value) / max;
    const x = i * slot + (slot - barWidth) / 2;
    return html`<g><rect x="${x.toFixed(1)}" y="${(bottom - h).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" rx="6"></rect>
    <text class="bar-value" x="${(x + barWidth / 2).toFixed(1)}" y="${(bottom - h - 14).toFixed(1)}" text-anchor="middle">${b.text.split(' ')[0]}</text>
    <text class="bar-label" x="${(x + barWidth / 2).toFixed(1)}" y="${height - 20}" text-anchor="middle">${b.short}</text></g>`;
  })}
</svg>`;
}
