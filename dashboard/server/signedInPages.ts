import type { FastifyInstance } from 'fastify';
import { METER_DRIVERS, METER_KINDS } from '../../hub/storage/registry.js';
import type { DashboardAssets } from './dashboardAssets.js';
import { PAGE_HEADERS } from './dashboardRoutes.js';
import type { DashboardStrings } from './dashboardStrings.js';
import { html, type RawHtml } from './html.js';
import { renderPage } from './pageLayout.js';

/**
 * The signed-in pages' shells (issue 5 items 4 and 5). Each is the same for
 * everyone: headings, labelled forms and empty tables, no data at all. The page
 * script asks /api/admin/session who is signed in, then fills the page from
 * /api/admin/...; those routes enforce the roles, so the shells need no guard.
 * - GET /sign-in    sign-in form (`?next=/path` to return to a page)
 * - GET /volunteer  sensor health, households and zones, add a meter (volunteer role)
 * - GET /group      publish status, proposals and previews, decisions, consent register (recording and withdrawing consent), retention log (group role)
 *
 * Without JavaScript the pages say so: the content stays `hidden` until the
 * script has checked the session.
 */
export const SIGNED_IN_PAGE_ROUTES = {
  signIn: '/sign-in',
  volunteer: '/volunteer',
  group: '/group',
} as const;

export interface SignedInPageOptions {
  strings: DashboardStrings;
  assets: DashboardAssets;
  neighbourhoodName: string;
  /** The hub's time zone, for dates on the pages; the browser's own when left out. */
  timeZone?: string;
}

export function registerSignedInPages(app: FastifyInstance, options: SignedInPageOptions): void {
  const { strings: s, assets } = options;
  const pageData = (namespace: string) => ({ strings: s.section(namespace), shared: s.section('signIn'), locale: s.locale, timeZone: options.timeZone ?? null });
  const common = { strings: s, assets, neighbourhoodName: options.neighbourhoodName, styles: ['signedIn.css'] };

  const pages = [
    { path: SIGNED_IN_PAGE_ROUTES.signIn, page: 'signIn', namespace: 'signIn', main: signInMain, script: 'signIn.js' },
    { path: SIGNED_IN_PAGE_ROUTES.volunteer, page: 'volunteer', namespace: 'volunteer', main: volunteerMain, script: 'volunteer.js' },
    { path: SIGNED_IN_PAGE_ROUTES.group, page: 'group', namespace: 'group', main: groupMain, script: 'group.js' },
  ] as const;
  for (const p of pages) {
    app.get(p.path, async (_request, reply) =>
      reply.headers(PAGE_HEADERS).send(
        renderPage({
          ...common,
          page: p.page,
          title: s.t(`${p.namespace}.title`),
          main: p.main(s),
          scripts: ['signedIn.js', p.script],
          data: pageData(p.namespace),
        }),
      ),
    );
  }
}

/** Parts every signed-in page starts with: title, lede, the no-script note, who is signed in, the alert region. */
function pageTop(s: DashboardStrings, namespace: string): RawHtml {
  return html`<h1>${s.t(`${namespace}.title`)}</h1>
<p class="lede">${s.t(`${namespace}.lede`)}</p>
<noscript><p class="notice">${s.t('signIn.needsJavaScript')}</p></noscript>
<div id="session-bar" class="session-bar" hidden>
  <span id="session-user"></span>
  <button type="button" id="sign-out" class="secondary">${s.t('signIn.signOut')}</button>
</div>
<div id="page-alert" class="alert-region" role="alert"></div>`;
}

function field(id: string, label: string, input: RawHtml, hint?: string): RawHtml {
  return html`<div class="field">
  <label for="${id}">${label}</label>
  ${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : ''}
  ${input}
</div>`;
}

function headerRow(labels: string[]): RawHtml {
  return html`<thead><tr>${labels.map((label) => html`<th scope="col">${label}</th>`)}</tr></thead>`;
}

/**
 * A table in a region that keyboard users can scroll sideways, named by the
 * table's caption (not the section heading: two landmarks must not share a name).
 */
function recordTable(id: string, caption: string, labels: string[]): RawHtml {
  return html`<div class="table-scroll" role="region" tabindex="0" aria-labelledby="${id}-caption">
  <table id="${id}" class="records"><caption id="${id}-caption">${caption}</caption>${headerRow(labels)}<tbody></tbody></table>
</div>`;
}

function signInMain(s: DashboardStrings): RawHtml {
  return html`<div class="sign-in">
${pageTop(s, 'signIn')}
<div id="signed-in-already" class="notice" hidden>
  <p id="signed-in-already-text"></p>
  <p><a id="signed-in-home" href="/">${s.t('signIn.goHome')}</a></p>
</div>
<form id="sign-in-form" class="stacked-form" novalidate hidden>
  ${field('sign-in-username', s.t('signIn.usernameLabel'), html`<input id="sign-in-username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="64">`)}
  ${field('sign-in-password', s.t('signIn.passwordLabel'), html`<input id="sign-in-password" name="password" type="password" autocomplete="current-password" required maxlength="1024">`)}
  <div id="sign-in-error" class="alert-region" role="alert"></div>
  <p><button type="submit" id="sign-in-submit">${s.t('signIn.submit')}</button></p>
</form>
</div>`;
}

function volunteerMain(s: DashboardStrings): RawHtml {
  const v = (key: string) => s.t(`volunteer.${key}`);
  const option = (value: string, label: string) => html`<option value="${value}">${label}</option>`;
  return html`${pageTop(s, 'volunteer')}
<div id="signed-in-app" hidden>
<section id="sensors" aria-labelledby="sensors-heading">
  <h2 id="sensors-heading">${v('sensorsHeading')}</h2>
  <p class="muted">${v('sensorsNote')}</p>
  <div class="section-actions">
    <p id="sensors-updated" class="muted"></p>
    <button type="button" id="sensors-refresh" class="secondary">${v('sensorsRefresh')}</button>
  </div>
  ${recordTable('sensor-table', v('sensorsCaption'), [
    v('colSensor'),
    v('colHousehold'),
    v('colStatus'),
    v('colLastSeen'),
    v('colReadingsHour'),
    v('colAccepted'),
    v('colDuplicates'),
    v('colRejected'),
    v('colDriver'),
    v('colFirmware'),
    v('colAgent'),
    v('colLastError'),
  ])}
  <p id="sensors-empty" class="muted" hidden>${v('sensorsEmpty')}</p>
</section>

<section id="households" aria-labelledby="households-heading">
  <h2 id="households-heading">${v('householdsHeading')}</h2>
  <p class="muted">${v('householdsNote')}</p>
  ${recordTable('household-table', v('householdsCaption'), [v('colHouseholdName'), v('colZone'), v('colMeters'), v('colHouseholdId')])}
  <p id="households-empty" class="muted" hidden>${v('householdsEmpty')}</p>
  <h3 id="add-household-heading">${v('addHouseholdHeading')}</h3>
  <form id="add-household-form" class="stacked-form" aria-labelledby="add-household-heading" novalidate>
    ${field('household-label', v('householdLabelLabel'), html`<input id="household-label" name="label" type="text" required maxlength="100" autocomplete="off" aria-describedby="household-label-hint">`, v('householdLabelHint'))}
    ${field('household-zone', v('householdZoneLabel'), html`<input id="household-zone" name="zone" type="text" maxlength="60" autocomplete="off" aria-describedby="household-zone-hint">`, v('householdZoneHint'))}
    <div id="add-household-error" class="alert-region" role="alert"></div>
    <p><button type="submit" id="add-household-submit">${v('addHouseholdSubmit')}</button></p>
    <p id="add-household-done" role="status"></p>
  </form>
</section>

<section id="add-meter" aria-labelledby="add-meter-heading">
  <h2 id="add-meter-heading">${v('addMeterHeading')}</h2>
  <p>${v('addMeterLede')}</p>
  <form id="add-meter-form" class="stacked-form" aria-labelledby="add-meter-heading" novalidate>
    ${field('meter-household', v('meterHouseholdLabel'), html`<select id="meter-household" name="householdId" required><option value="">${v('meterHouseholdChoose')}</option></select>`)}
    ${field('meter-kind', v('meterKindLabel'), html`<select id="meter-kind" name="kind" required>${METER_KINDS.map((kind) => option(kind, v(`kind_${kind}`)))}</select>`)}
    ${field('meter-driver', v('meterDriverLabel'), html`<select id="meter-driver" name="driver" required>${METER_DRIVERS.map((driver) => option(driver, v(`driver_${driver}`)))}</select>`)}
    <div id="add-meter-error" class="alert-region" role="alert"></div>
    <p><button type="submit" id="add-meter-submit">${v('addMeterSubmit')}</button></p>
  </form>
  <div id="pairing-result" class="card pairing" tabindex="-1" hidden>
    <h3 id="pairing-heading"></h3>
    <p class="pairing-code" id="pairing-code"></p>
    <p id="pairing-expires"></p>
    <p>${v('pairingCommandIntro')}</p>
    <pre class="command"><code id="pairing-command"></code></pre>
  </div>
</section>
</div>`;
}

function groupMain(s: DashboardStrings): RawHtml {
  const g = (key: string) => s.t(`group.${key}`);
  const input = (id: string, type: string, extra: RawHtml = html``) => html`<input id="${id}" name="${id}" type="${type}" ${extra}>`;
  return html`${pageTop(s, 'group')}
<div id="signed-in-app" hidden>
<nav class="page-contents" aria-label="${g('onThisPage')}">
  <ul>
    <li><a href="#publish-status-section">${g('statusHeading')}</a></li>
    <li><a href="#proposals-section">${g('proposalsHeading')}</a></li>
    <li><a href="#decision-section">${g('decisionHeading')}</a></li>
    <li><a href="#consent-section">${g('consentHeading')}</a></li>
    <li><a href="#retention-section">${g('retentionHeading')}</a></li>
  </ul>
</nav>

<section id="publish-status-section" aria-labelledby="publish-status-heading">
  <h2 id="publish-status-heading">${g('statusHeading')}</h2>
  <div id="publish-blocked" class="error" hidden></div>
  <dl id="publish-status" class="facts"></dl>
</section>

<section id="proposals-section" aria-labelledby="proposals-heading">
  <h2 id="proposals-heading">${g('proposalsHeading')}</h2>
  <div class="field">
    <label for="preview-days">${g('previewDaysLabel')}</label>
    <select id="preview-days">${[7, 14, 30].map((n) => html`<option value="${n}">${s.t('group.previewDaysOption', { n })}</option>`)}</select>
  </div>
  <p id="proposals-empty" class="muted" hidden>${g('proposalsEmpty')}</p>
  <div id="proposal-list"></div>
</section>

<section id="preview-section" aria-labelledby="preview-heading" hidden>
  <h2 id="preview-heading" tabindex="-1"></h2>
  <p class="muted">${g('previewLede')}</p>
  <p id="preview-status" role="status"></p>
  <p id="preview-counts"></p>
  <p id="preview-suppressed-by"></p>
  ${recordTable('preview-table', g('previewCaption'), [g('colPeriod'), g('colGroup'), g('colMetric'), g('colResult'), g('colValue')])}
  <p id="preview-more" class="muted" hidden></p>
</section>

<section id="decision-section" aria-labelledby="decision-heading">
  <h2 id="decision-heading" tabindex="-1">${g('decisionHeading')}</h2>
  <p>${g('decisionLede')}</p>
  <p id="decision-no-open" class="muted" hidden>${g('decisionNoOpen')}</p>
  <form id="decision-form" class="stacked-form" aria-labelledby="decision-heading" novalidate>
    ${field('decision-proposal', g('decisionProposalLabel'), html`<select id="decision-proposal" name="proposalId" required><option value="">${g('decisionProposalChoose')}</option></select>`)}
    <fieldset id="decision-outcome">
      <legend>${g('decisionOutcomeLegend')}</legend>
      <div class="choice"><input id="decision-outcome-adopted" name="outcome" type="radio" value="adopted" checked><label for="decision-outcome-adopted">${g('decisionAdopted')}</label></div>
      <div class="choice"><input id="decision-outcome-rejected" name="outcome" type="radio" value="rejected"><label for="decision-outcome-rejected">${g('decisionRejected')}</label></div>
    </fieldset>
    ${field('decision-date', g('decisionDateLabel'), input('decision-date', 'date', html`required`))}
    ${field('decision-meeting', g('decisionMeetingLabel'), input('decision-meeting', 'text', html`required maxlength="500" aria-describedby="decision-meeting-hint"`), g('decisionMeetingHint'))}
    ${field('decision-present', g('decisionPresentLabel'), html`<textarea id="decision-present" name="present" rows="4" required aria-describedby="decision-present-hint"></textarea>`, g('decisionPresentHint'))}
    <fieldset id="decision-votes">
      <legend>${g('decisionVotesLegend')}</legend>
      <div class="votes">
        ${field('decision-votes-for', g('decisionVotesFor'), input('decision-votes-for', 'number', html`required min="0" step="1" inputmode="numeric"`))}
        ${field('decision-votes-against', g('decisionVotesAgainst'), input('decision-votes-against', 'number', html`required min="0" step="1" inputmode="numeric"`))}
        ${field('decision-votes-abstaining', g('decisionVotesAbstaining'), input('decision-votes-abstaining', 'number', html`required min="0" step="1" inputmode="numeric"`))}
      </div>
    </fieldset>
    ${field('decision-decided-by', g('decisionDecidedByLabel'), input('decision-decided-by', 'text', html`required maxlength="500" aria-describedby="decision-decided-by-hint"`), g('decisionDecidedByHint'))}
    ${field('decision-rationale', g('decisionRationaleLabel'), html`<textarea id="decision-rationale" name="rationale" rows="4" required></textarea>`)}
    ${field('decision-effective-from', g('decisionEffectiveLabel'), input('decision-effective-from', 'date', html`required aria-describedby="decision-effective-from-hint"`), g('decisionEffectiveHint'))}
    <fieldset id="decision-replaces">
      <legend>${g('decisionReplacesLegend')}</legend>
      <div id="decision-replaces-list"></div>
      <p id="decision-replaces-none" class="muted">${g('decisionReplacesNone')}</p>
    </fieldset>
    <div id="decision-error" class="alert-region" role="alert"></div>
    <p><button type="submit" id="decision-submit">${g('decisionSubmit')}</button></p>
    <p id="decision-done" role="status"></p>
  </form>
</section>

<section id="consent-section" aria-labelledby="consent-heading">
  <h2 id="consent-heading">${g('consentHeading')}</h2>
  <p class="muted">${g('consentLede')}</p>
  ${recordTable('consent-table', g('consentCaption'), [g('colConsentHousehold'), g('colScopes'), g('colSince'), g('colTextVersion'), g('colWithdrawn'), g('colRawDeleted'), g('colConsentChange')])}
  <p id="consent-empty" class="muted" hidden>${g('consentEmpty')}</p>
  <p id="withdraw-done" role="status"></p>
  <form id="withdraw-form" class="stacked-form confirm-panel" aria-labelledby="withdraw-heading" novalidate hidden>
    <h3 id="withdraw-heading" tabindex="-1"></h3>
    <p>${g('withdrawExplain')}</p>
    <fieldset id="withdraw-what">
      <legend>${g('withdrawWhatLegend')}</legend>
      <div class="choice"><input id="withdraw-all" name="withdraw-what" type="radio" value="all" checked><label for="withdraw-all">${g('withdrawAll')}</label></div>
      <div id="withdraw-some-choice" class="choice"><input id="withdraw-some" name="withdraw-what" type="radio" value="some"><label for="withdraw-some">${g('withdrawSome')}</label></div>
      <div id="withdraw-scope-list" class="sub-choices"></div>
    </fieldset>
    <div class="choice"><input id="withdraw-delete-raw" name="deleteRawData" type="checkbox" aria-describedby="withdraw-delete-raw-hint"><label for="withdraw-delete-raw">${g('withdrawDeleteRaw')}</label></div>
    <p class="hint" id="withdraw-delete-raw-hint">${g('withdrawDeleteRawHint')}</p>
    <div id="withdraw-error" class="alert-region" role="alert"></div>
    <p class="form-actions">
      <button type="submit" id="withdraw-confirm">${g('withdrawConfirm')}</button>
      <button type="button" id="withdraw-cancel" class="secondary">${g('withdrawCancel')}</button>
    </p>
  </form>

  <h3 id="consent-form-heading">${g('consentFormHeading')}</h3>
  <p>${g('consentFormLede')}</p>
  <form id="consent-form" class="stacked-form" aria-labelledby="consent-form-heading" novalidate>
    ${field('consent-household', g('consentHouseholdLabel'), html`<select id="consent-household" name="householdId" required><option value="">${g('consentHouseholdChoose')}</option></select>`)}
    <fieldset id="consent-scopes">
      <legend>${g('consentScopesLegend')}</legend>
      <div class="choice"><input id="consent-aggregates" name="aggregates" type="checkbox"><label for="consent-aggregates">${g('consentAggregatesLabel')}</label></div>
      <div class="choice"><input id="consent-live-generation" name="liveGeneration" type="checkbox"><label for="consent-live-generation">${g('consentLiveGenerationLabel')}</label></div>
      ${field('consent-partners', g('consentPartnersLabel'), input('consent-partners', 'text', html`maxlength="1000" autocomplete="off" aria-describedby="consent-partners-hint"`), g('consentPartnersHint'))}
    </fieldset>
    ${field('consent-version', g('consentVersionLabel'), input('consent-version', 'text', html`required maxlength="100" autocomplete="off" spellcheck="false" aria-describedby="consent-version-hint"`), g('consentVersionHint'))}
    <div id="consent-error" class="alert-region" role="alert"></div>
    <p><button type="submit" id="consent-submit">${g('consentSubmit')}</button></p>
    <p id="consent-done" role="status"></p>
  </form>
</section>

<section id="retention-section" aria-labelledby="retention-heading">
  <h2 id="retention-heading">${g('retentionHeading')}</h2>
  <p class="muted">${g('retentionLede')}</p>
  ${recordTable('retention-table', g('retentionCaption'), [g('colRunAt'), g('colDeleted'), g('colErrors')])}
  <p id="retention-empty" class="muted" hidden>${g('retentionEmpty')}</p>
</section>
</div>`;
}
