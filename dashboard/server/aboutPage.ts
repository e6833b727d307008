import type { PublicPolicy, PublicPolicyView } from '../../hub/publication/publicSurfaces.js';
import type { DashboardFormat } from './dashboardFormat.js';
import type { DashboardStrings } from './dashboardStrings.js';
import { html, type RawHtml } from './html.js';

/**
 * About our data (`/about`): the policies in force in plain words, what is
 * open, shared and closed, the decision log, the licence and downloads, and
 * how a household joins, leaves or has its data deleted. It reads the same
 * public policy view as `/api/public/policy`, so names appear only where the
 * group chose to publish them.
 */

export interface AboutView {
  policy: PublicPolicyView;
  strings: DashboardStrings;
  format: DashboardFormat;
  contact: string;
  co2GramsPerKwh: number;
  neighbourhoodName: string;
}

const LICENCE_URLS: Record<string, string> = {
  'CC-BY-4.0': 'https://creativecommons.org/licenses/by/4.0/',
  'CC0-1.0': 'https://creativecommons.org/publicdomain/zero/1.0/',
  'ODbL-1.0': 'https://opendatacommons.org/licenses/odbl/1-0/',
};

export function renderAboutMain(view: AboutView): RawHtml {
  const { policy, strings: s, format: f } = view;
  const open = policy.inForce.filter((p) => p.audience.tier === 'open');
  const shared = policy.inForce.filter((p) => p.audience.tier === 'shared');
  const titles = new Map(policy.inForce.map((p) => [p.proposalId, p.title]));
  const licenceUrl = LICENCE_URLS[policy.licence];

  return html`<h1>${s.t('about.title')}</h1>
<p class="lede">${s.t('about.intro')}</p>

<section aria-labelledby="open-title">
  <h2 id="open-title">${s.t('about.openTitle')}</h2>
  ${open.length === 0 ? html`<p>${s.t('about.openNone')}</p>` : open.map((p) => policyCard(p, view))}
</section>

<section aria-labelledby="shared-title">
  <h2 id="shared-title">${s.t('about.sharedTitle')}</h2>
  ${shared.length === 0 ? html`<p>${s.t('about.sharedNone')}</p>` : shared.map((p) => policyCard(p, view))}
</section>

<section aria-labelledby="closed-title">
  <h2 id="closed-title">${s.t('about.closedTitle')}</h2>
  <ul>${[1, 2, 3, 4, 5].map((i) => html`<li>${s.t(`about.closedList${i}`)}</li>`)}</ul>
</section>

<section aria-labelledby="decisions-title">
  <h2 id="decisions-title">${s.t('about.decisionsTitle')}</h2>
  ${policy.decisions.length === 0
    ? html`<p>${s.t('about.decisionsNone')}</p>`
    : html`<ol class="decision-log" reversed>${[...policy.decisions].reverse().map(
        (d) => html`<li class="decision">
  <p class="decision-head"><strong>${d.outcome === 'adopted' ? s.t('about.decisionAdopted') : s.t('about.decisionRejected')}</strong>: ${d.proposalTitle ?? titles.get(d.proposalId) ?? d.proposalId}</p>
  <dl class="facts">
    <dt>${s.t('about.decisionDate')}</dt><dd>${f.day(d.date)} ${d.date.slice(0, 4)}</dd>
    <dt>${s.t('about.decisionWho')}</dt><dd>${d.decidedBy} (${d.meeting})</dd>
    <dt>${s.t('about.decisionVotes')}</dt><dd>${s.t('about.decisionVotesText', { for: d.votes.for, against: d.votes.against, abstaining: d.votes.abstaining })}</dd>
    <dt>${s.t('about.decisionFrom')}</dt><dd>${d.effectiveFrom.slice(0, 10)}</dd>
    <dt>${s.t('about.decisionWhy')}</dt><dd>${d.rationale}</dd>
  </dl>
  ${d.present ? html`<p>${s.t('about.decisionPresent', { names: d.present.join(', ') })}</p>` : ''}
</li>`,
      )}</ol>`}
</section>

<section aria-labelledby="download-title">
  <h2 id="download-title">${s.t('about.downloadTitle')}</h2>
  <p>${licenceUrl ? html`${s.t('about.downloadText', { licence: policy.licence }).split(policy.licence)[0]}<a href="${licenceUrl}" rel="license">${policy.licence}</a>${s.t('about.downloadText', { licence: policy.licence }).split(policy.licence)[1]}` : s.t('about.downloadText', { licence: policy.licence })}</p>
  <ul>
    <li><a href="/api/public/export/figures.csv" download>${s.t('about.downloadCsv')}</a></li>
    <li><a href="/api/public/export/datapackage.json">${s.t('about.downloadPackage')}</a></li>
  </ul>
  <p>${s.t('about.downloadApi')}</p>
</section>

<section aria-labelledby="co2-title">
  <h2 id="co2-title">${s.t('about.co2Title')}</h2>
  <p>${s.t('about.co2Text', { grams: view.co2GramsPerKwh })}</p>
</section>

<section aria-labelledby="households-title">
  <h2 id="households-title">${s.t('about.householdsTitle')}</h2>
  <p>${s.t('about.householdsJoin')}</p>
  <p>${s.t('about.householdsWithdraw')}</p>
  <p>${s.t('about.householdsDelete')}</p>
  <p>${s.t('about.householdsContact', { contact: view.contact })}</p>
</section>`;
}

function policyCard(p: PublicPolicy, view: AboutView): RawHtml {
  const { strings: s, format: f } = view;
  const metricNames = p.metrics.map((m) => s.t(`about.metric${m[0]!.toUpperCase()}${m.slice(1)}`));
  const groups = [
    p.groups.neighbourhood ? s.t('about.groupNeighbourhood') : null,
    p.groups.zones.length > 0 ? s.t('about.groupZones', { zones: p.groups.zones.join(', ') }) : null,
  ].filter((g): g is string => g !== null);
  const resolutionKey = { '30min': 'about.resolution30min', hour: 'about.resolutionHour', day: 'about.resolutionDay' }[p.resolution.neighbourhood];
  const resolution =
    p.groups.zones.length > 0 && p.resolution.neighbourhood !== 'day'
      ? s.t('about.resolutionZones', { resolution: s.t(resolutionKey) })
      : s.t(p.groups.neighbourhood ? resolutionKey : 'about.resolutionDay');
  return html`<article class="policy">
  <h3>${p.title}</h3>
  <p>${p.purpose}</p>
  ${p.audience.tier === 'shared' ? html`<p><strong>${s.t('about.sharedWith', { partner: p.audience.partner })}</strong>: ${p.audience.purpose}. ${s.t('about.sharedUntil', { date: `${f.day(p.audience.expires)} ${p.audience.expires.slice(0, 4)}` })}</p>` : ''}
  <dl class="facts">
    <dt>${s.t('about.policyWhat')}</dt><dd>${metricNames.join(', ')}</dd>
    <dt>${s.t('about.policyWho')}</dt><dd>${groups.join('; ')}</dd>
    <dt>${s.t('about.policyHowFine')}</dt><dd>${resolution}</dd>
    <dt>${s.t('about.policyWhen')}</dt><dd>${s.t('about.delay', { days: p.delayDays === 1 ? s.t('about.delayOne') : s.t('about.delayMany', { days: p.delayDays }) })} ${p.liveGeneration ? s.t('about.liveOn') : s.t('about.liveOff')}</dd>
    <dt>${s.t('about.policyRules')}</dt><dd>${s.t('about.rulesText', { k: p.rules.k, dominance: p.rules.dominancePercent, p: p.rules.pPercent })}</dd>
    <dt>${s.t('about.policyLicence')}</dt><dd>${p.licence}</dd>
  </dl>
  <p class="muted">${s.t('about.policySince', { date: p.effectiveFrom.slice(0, 10) })}</p>
</article>`;
}
