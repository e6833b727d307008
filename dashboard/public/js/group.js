// @ts-check
// The group's page: publish status, proposals with their discussion questions,
// a preview of each open proposal figure by figure, recording a decision, the
// consent register (recording a household's consent, withdrawing it with or
// without deleting its raw readings) and the retention log.

/**
 * @typedef {{
 *   title: string, purpose: string, metrics: string[],
 *   groups: { neighbourhood: boolean, zones: string[] },
 *   resolution: { neighbourhood: string, zones: string },
 *   delayDays: number,
 *   audience: { tier: 'open' } | { tier: 'shared', partner: string, purpose: string, expires: string },
 *   licence: string, rules: { k: number, dominancePercent: number, pPercent: number },
 *   liveGeneration: boolean, publishNames: boolean,
 *   discussion: Record<string, string>
 * }} Proposal
 * @typedef {{ id: string, outcome: 'adopted' | 'rejected', date: string, meeting: string, effectiveAt: string, replaces: string[] }} DecisionSummary
 * @typedef {{ id: string, proposedAt: string, status: 'open' | 'adopted' | 'rejected', expiresAt: string | null, proposal: Proposal, decision: DecisionSummary | null }} ProposalView
 * @typedef {{ group: string, metric: string, resolution: string, periodStart: string, released: boolean, totalWh: number | null, householdsAtLeast: number | null, rule: string | null, reason: string | null }} PreviewFigure
 * @typedef {{ proposalId: string, days: number, released: number, suppressed: Record<string, number>, figures: PreviewFigure[] }} Preview
 * @typedef {{ released: number, suppressed: Record<string, number>, lastDecidedAt: string | null, waiting: { policyId: string, day: string, reason: string }[], blocked: string | null }} PublishStatus
 * @typedef {{ householdId: string, scopes: { aggregates: boolean, liveGeneration: boolean, partners: string[] }, textVersion: string | null, consentedAt: string | null, withdrawnAt: string | null, changedAt: string, rawDataDeletionRequestedAt: string | null, rawDataDeletedAt: string | null }} ConsentEntry
 * @typedef {{ at: string, deleted: Record<string, number>, cutoffs: Record<string, string>, error: string | null }} RetentionRun
 */

(() => {
  const ui = cwSignedIn;
  const { t, label } = ui.pt;
  const { el } = ui;

  /** Preview tables stop here: a month of half-hours is thousands of rows. */
  const PREVIEW_ROW_LIMIT = 1000;
  const DISCUSSION_QUESTIONS = ['whatIsItFor', 'whoCouldBeAffected', 'whatIsNotOk', 'whereWillItGo'];
  /** Decision fields as the server names them in its problems, and the inputs that hold them. */
  const DECISION_FIELDS = {
    proposalId: 'decision-proposal',
    date: 'decision-date',
    meeting: 'decision-meeting',
    present: 'decision-present',
    votes: 'decision-votes-for',
    'votes.for': 'decision-votes-for',
    'votes.against': 'decision-votes-against',
    'votes.abstaining': 'decision-votes-abstaining',
    decidedBy: 'decision-decided-by',
    rationale: 'decision-rationale',
    effectiveFrom: 'decision-effective-from',
  };

  const kwhFormat = new Intl.NumberFormat(ui.page.locale || undefined, { maximumFractionDigits: 2 });
  /** @type {ProposalView[]} */
  let proposals = [];

  /** @param {string} groupId */
  const groupName = (groupId) => (groupId === 'neighbourhood' ? t('groupNeighbourhood') : groupId.startsWith('zone:') ? t('groupZone', { zone: groupId.slice(5) }) : groupId);
  /** @param {boolean} yes */
  const yesNo = (yes) => ui.st(yes ? 'yes' : 'no');
  /** @param {Record<string, number>} counts @param {string} prefix */
  const countList = (counts, prefix) =>
    Object.entries(counts)
      .map(([key, n]) => t('countItem', { what: label(`${prefix}${key}`, key), n: ui.count(n) }))
      .join(t('listSeparator'));

  /** @param {Element} body @param {string} emptyId @param {HTMLElement[]} rows */
  function fillTable(body, emptyId, rows) {
    body.replaceChildren(...rows);
    ui.byId(emptyId, HTMLElement).hidden = rows.length > 0;
  }

  /** @param {string} tableId */
  const tableBody = (tableId) => /** @type {HTMLTableSectionElement} */ (ui.byId(tableId, HTMLTableElement).tBodies[0]);

  // Publish status

  /** @param {PublishStatus} status */
  function showStatus(status) {
    const blocked = ui.byId('publish-blocked', HTMLElement);
    blocked.hidden = status.blocked === null;
    blocked.textContent = status.blocked === null ? '' : t('statusBlocked', { reason: status.blocked });
    const suppressedTotal = Object.values(status.suppressed).reduce((a, b) => a + b, 0);
    /** @type {[string, Node | string][]} */
    const facts = [
      [t('statusReleased'), ui.count(status.released)],
      [t('statusSuppressed'), suppressedTotal === 0 ? ui.count(0) : t('suppressedTotal', { n: ui.count(suppressedTotal), list: countList(status.suppressed, 'rule_') })],
      [t('statusLastDecided'), ui.timeElement(status.lastDecidedAt)],
      [
        t('statusWaiting'),
        status.waiting.length === 0
          ? t('statusNothingWaiting')
          : el('ul', {}, status.waiting.map((w) => el('li', { text: t('statusWaitingItem', { policy: w.policyId, day: w.day, reason: w.reason }) }))),
      ],
    ];
    ui.byId('publish-status', HTMLElement).replaceChildren(...facts.flatMap(([term, value]) => [el('dt', { text: term }), el('dd', {}, [value])]));
  }

  // Proposals

  /** @param {ProposalView} view */
  function statusText(view) {
    return t(view.status === 'open' ? 'statusOpen' : view.status === 'adopted' ? 'statusAdopted' : 'statusRejected');
  }

  /** @param {Proposal} p */
  function publishFacts(p) {
    const groups = [p.groups.neighbourhood ? t('groupNeighbourhood') : null, ...p.groups.zones.map((zone) => t('groupZone', { zone }))].filter(Boolean).join(t('listComma'));
    const audience =
      p.audience.tier === 'open'
        ? t('audienceOpen')
        : t('audienceShared', { partner: p.audience.partner, purpose: p.audience.purpose, expires: p.audience.expires });
    /** @type {[string, string][]} */
    const facts = [
      [t('metrics'), p.metrics.map((m) => label(`metric_${m}`, m)).join(t('listComma'))],
      [t('groups'), groups],
      [
        t('resolution'),
        t('resolutionValue', { neighbourhood: label(`resolution_${p.resolution.neighbourhood}`, p.resolution.neighbourhood), zones: label(`resolution_${p.resolution.zones}`, p.resolution.zones) }),
      ],
      [t('delay'), p.delayDays === 1 ? t('delayValueOne') : t('delayValue', { n: p.delayDays })],
      [t('audience'), audience],
      [t('licence'), p.licence],
      [t('rules'), t('rulesValue', { k: p.rules.k, dominance: p.rules.dominancePercent, p: p.rules.pPercent })],
      [t('liveGeneration'), yesNo(p.liveGeneration)],
      [t('publishNames'), yesNo(p.publishNames)],
    ];
    return el('dl', { className: 'facts' }, facts.flatMap(([term, value]) => [el('dt', { text: term }), el('dd', { text: value })]));
  }

  /** @param {ProposalView} view */
  function proposalCard(view) {
    const p = view.proposal;
    const headingId = `proposal-${view.id}-heading`;
    const card = el('article', { className: 'card proposal', id: `proposal-${view.id}`, attrs: { 'aria-labelledby': headingId } }, [
      el('h3', { id: headingId, text: p.title }),
      el('p', {}, [
        el('span', { className: `state state-${view.status}`, text: statusText(view) }),
        ' · ',
        el('span', { className: 'muted', text: t('proposedOn', { id: view.id, time: ui.absoluteDate(view.proposedAt) }) }),
      ]),
    ]);
    if (view.decision) {
      const d = view.decision;
      card.append(
        el('p', {
          text:
            d.outcome === 'adopted'
              ? t('decided', { outcome: t('statusAdopted'), date: d.date, meeting: d.meeting, id: d.id, effective: ui.absoluteTime(d.effectiveAt) })
              : t('decidedRejected', { date: d.date, meeting: d.meeting, id: d.id }),
        }),
      );
    }
    card.append(el('h4', { text: t('purpose') }), el('p', { className: 'answer', text: p.purpose }), el('h4', { text: t('whatItPublishes') }), publishFacts(p));
    card.append(
      el('h4', { text: t('discussionHeading') }),
      el(
        'dl',
        { className: 'facts' },
        DISCUSSION_QUESTIONS.flatMap((q) => {
          const answer = (p.discussion[q] ?? '').trim();
          return [el('dt', { text: t(`q_${q}`) }), answer ? el('dd', { className: 'answer', text: answer }) : el('dd', { className: 'muted', text: t('notAnswered') })];
        }),
      ),
    );
    if (view.status === 'open') {
      const preview = el('button', { id: `preview-${view.id}`, className: 'secondary', text: t('previewButton', { id: view.id }), attrs: { type: 'button' } });
      preview.addEventListener('click', () => void runPreview(view.id, preview));
      const decide = el('button', { id: `decide-${view.id}`, className: 'secondary', text: t('decideButton', { id: view.id }), attrs: { type: 'button' } });
      decide.addEventListener('click', () => {
        ui.byId('decision-proposal', HTMLSelectElement).value = view.id;
        ui.byId('decision-heading', HTMLElement).focus();
        ui.byId('decision-section', HTMLElement).scrollIntoView();
      });
      card.append(el('div', { className: 'proposal-actions' }, [preview, decide]));
    }
    return card;
  }

  function showProposals() {
    // Open proposals first, then the rest newest first.
    const ordered = [...proposals].sort((a, b) => Number(b.status === 'open') - Number(a.status === 'open') || b.proposedAt.localeCompare(a.proposedAt));
    ui.byId('proposal-list', HTMLElement).replaceChildren(...ordered.map(proposalCard));
    ui.byId('proposals-empty', HTMLElement).hidden = proposals.length > 0;

    const open = proposals.filter((v) => v.status === 'open');
    const select = ui.byId('decision-proposal', HTMLSelectElement);
    const chosen = select.value;
    const first = /** @type {HTMLOptionElement} */ (select.options[0]);
    select.replaceChildren(first, ...open.map((v) => el('option', { attrs: { value: v.id }, text: t('proposalOption', { id: v.id, title: v.proposal.title }) })));
    if (open.some((v) => v.id === chosen)) select.value = chosen;
    ui.byId('decision-no-open', HTMLElement).hidden = open.length > 0;
    ui.byId('decision-form', HTMLFormElement).hidden = open.length === 0;

    const adopted = proposals.filter((v) => v.status === 'adopted');
    const list = ui.byId('decision-replaces-list', HTMLElement);
    list.replaceChildren(
      ...adopted.map((v) => {
        const id = `decision-replaces-${v.id}`;
        return el('div', { className: 'choice' }, [
          el('input', { id, attrs: { type: 'checkbox', name: 'replaces', value: v.id } }),
          el('label', { attrs: { for: id }, text: t('proposalOption', { id: v.id, title: v.proposal.title }) }),
        ]);
      }),
    );
    ui.byId('decision-replaces-none', HTMLElement).hidden = adopted.length > 0;
  }

  // Preview

  /** @param {PreviewFigure} f */
  function periodText(f) {
    return f.resolution === '30min' || f.resolution === 'hour' ? ui.absoluteTime(f.periodStart) : ui.absoluteDate(f.periodStart);
  }

  /** @param {PreviewFigure} f */
  function previewRow(f) {
    const value = f.released
      ? t('releasedValue', { kwh: kwhFormat.format((f.totalWh ?? 0) / 1000), households: ui.count(f.householdsAtLeast ?? 0) })
      : t('suppressedValue', { rule: label(`rule_${f.rule}`, f.rule ?? ''), reason: f.reason ?? '' });
    return el('tr', {}, [
      el('th', { attrs: { scope: 'row' } }, [el('time', { attrs: { datetime: f.periodStart }, text: periodText(f) })]),
      el('td', { text: groupName(f.group) }),
      el('td', { text: label(`metric_${f.metric}`, f.metric) }),
      el('td', {}, [el('span', { className: `state ${f.released ? 'state-released' : 'state-suppressed'}`, text: t(f.released ? 'released' : 'suppressed') })]),
      el('td', { text: value }),
    ]);
  }

  /** @param {string} id @param {HTMLButtonElement} button */
  async function runPreview(id, button) {
    const days = Number(ui.byId('preview-days', HTMLSelectElement).value) || 7;
    const section = ui.byId('preview-section', HTMLElement);
    const heading = ui.byId('preview-heading', HTMLElement);
    const status = ui.byId('preview-status', HTMLElement);
    const counts = ui.byId('preview-counts', HTMLElement);
    const suppressedBy = ui.byId('preview-suppressed-by', HTMLElement);
    const more = ui.byId('preview-more', HTMLElement);
    const body = tableBody('preview-table');
    section.hidden = false;
    heading.textContent = t('previewHeading', { id, days });
    status.textContent = t('previewWorking', { id });
    counts.textContent = '';
    suppressedBy.textContent = '';
    more.hidden = true;
    body.replaceChildren();
    section.setAttribute('aria-busy', 'true');
    heading.focus();
    await ui.whileBusy(button, async () => {
      try {
        /** @type {Preview} */
        const preview = await ui.api('GET', `/api/admin/proposals/${encodeURIComponent(id)}/preview?days=${days}`);
        const suppressed = Object.values(preview.suppressed).reduce((a, b) => a + b, 0);
        status.textContent = preview.figures.length === 0 ? t('previewEmpty') : '';
        counts.textContent = t('previewCounts', { released: ui.count(preview.released), suppressed: ui.count(suppressed) });
        suppressedBy.textContent = suppressed > 0 ? t('previewSuppressedBy', { list: countList(preview.suppressed, 'rule_') }) : '';
        const shown = preview.figures.slice(0, PREVIEW_ROW_LIMIT);
        body.replaceChildren(...shown.map(previewRow));
        more.hidden = shown.length === preview.figures.length;
        more.textContent = t('previewMore', { shown: ui.count(shown.length), total: ui.count(preview.figures.length) });
      } catch (error) {
        status.textContent = '';
        ui.showError(ui.pageAlert(), error);
      } finally {
        section.removeAttribute('aria-busy');
      }
    });
  }

  // Decision form

  /** YYYY-MM-DD of an instant in the hub's time zone. @param {number} ms */
  function dayKey(ms) {
    const parts = new Intl.DateTimeFormat('en-CA', { timeZone: ui.page.timeZone ?? undefined, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(ms));
    /** @param {string} type */
    const part = (type) => parts.find((p) => p.type === type)?.value ?? '';
    return `${part('year')}-${part('month')}-${part('day')}`;
  }

  /** @param {string} day YYYY-MM-DD @param {number} n */
  function addDays(day, n) {
    const date = new Date(`${day}T12:00:00Z`);
    date.setUTCDate(date.getUTCDate() + n);
    return date.toISOString().slice(0, 10);
  }

  function setUpDecisionForm() {
    const form = ui.byId('decision-form', HTMLFormElement);
    const errorRegion = ui.byId('decision-error', HTMLElement);
    const done = ui.byId('decision-done', HTMLElement);
    const submit = ui.byId('decision-submit', HTMLButtonElement);
    /** @param {string} id */
    const input = (id) => /** @type {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} */ (document.getElementById(id));
    /** @param {string} id */
    const number = (id) => {
      const value = input(id).value.trim();
      return value === '' ? undefined : Number(value);
    };
    /** @param {string} id */
    const text = (id) => input(id).value.trim() || undefined;

    const today = dayKey(Date.now());
    ui.byId('decision-date', HTMLInputElement).value = today;
    ui.byId('decision-effective-from', HTMLInputElement).value = addDays(today, 1);

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      ui.showAlert(errorRegion, null);
      done.textContent = '';
      for (const id of new Set(Object.values(DECISION_FIELDS))) input(id).removeAttribute('aria-invalid');
      const outcome = /** @type {HTMLInputElement | null} */ (form.querySelector('input[name="outcome"]:checked'))?.value;
      const decision = {
        proposalId: text('decision-proposal'),
        outcome,
        date: text('decision-date'),
        meeting: text('decision-meeting'),
        present: input('decision-present')
          .value.split('\n')
          .map((name) => name.trim())
          .filter(Boolean),
        votes: { for: number('decision-votes-for'), against: number('decision-votes-against'), abstaining: number('decision-votes-abstaining') },
        decidedBy: text('decision-decided-by'),
        rationale: text('decision-rationale'),
        effectiveFrom: text('decision-effective-from'),
        replaces: [...form.querySelectorAll('input[name="replaces"]:checked')].map((box) => /** @type {HTMLInputElement} */ (box).value),
      };
      void ui.whileBusy(submit, async () => {
        try {
          /** @type {{ decisionId: string, proposalId: string, outcome: string, effectiveAt: string }} */
          const recorded = await ui.api('POST', '/api/admin/decisions', decision);
          done.textContent = t(recorded.outcome === 'adopted' ? 'decisionRecordedAdopted' : 'decisionRecordedRejected', {
            decisionId: recorded.decisionId,
            proposalId: recorded.proposalId,
            effective: ui.absoluteTime(recorded.effectiveAt),
          });
          for (const id of ['decision-meeting', 'decision-present', 'decision-votes-for', 'decision-votes-against', 'decision-votes-abstaining', 'decision-decided-by', 'decision-rationale']) {
            input(id).value = '';
          }
          await Promise.all([loadProposals(), loadStatus()]);
        } catch (error) {
          const message = ui.describeError(error);
          if (message && error instanceof ui.ApiError && error.status === 400) message.what = t('decisionRefused');
          ui.showAlert(errorRegion, message);
          markInvalid(message?.problems ?? []);
        }
      });
    });

    /** Marks the inputs the server's problems name ("votes.for: must be ..."). @param {string[]} problems */
    function markInvalid(problems) {
      for (const problem of problems) {
        const path = /^([\w.]+):/.exec(problem)?.[1];
        if (!path) continue;
        const id = /** @type {Record<string, string>} */ (DECISION_FIELDS)[path] ?? /** @type {Record<string, string>} */ (DECISION_FIELDS)[path.split('.')[0] ?? ''];
        if (id) input(id).setAttribute('aria-invalid', 'true');
      }
    }
  }

  // Consent register and retention log

  /** @type {Map<string, string>} household id → label, for the consent register */
  let householdLabels = new Map();
  /** @type {ConsentEntry[]} */
  let consentRegister = [];
  /** @type {string | null} the household whose withdrawal form is open */
  let withdrawingFor = null;
  /** @type {Map<string, HTMLButtonElement>} household id → its row's "Withdraw…" button */
  let withdrawButtons = new Map();

  /** @param {string} householdId */
  const householdName = (householdId) => householdLabels.get(householdId) ?? householdId;

  /** @param {ConsentEntry['scopes']} scopes */
  function scopesText(scopes) {
    const parts = [
      scopes.aggregates ? t('scopeAggregates') : null,
      scopes.liveGeneration ? t('scopeLiveGeneration') : null,
      ...scopes.partners.map((partner) => t('scopePartner', { partner })),
    ].filter(Boolean);
    return parts.length > 0 ? parts.join(t('listComma')) : t('scopeNothing');
  }

  /** @param {ConsentEntry} entry */
  function consentRow(entry) {
    const withdraw = el('button', { className: 'secondary', attrs: { type: 'button', 'data-household': entry.householdId, 'aria-controls': 'withdraw-form', 'aria-expanded': String(withdrawingFor === entry.householdId) } }, [
      t('withdrawButton'),
      el('span', { className: 'visually-hidden', text: ` ${t('withdrawButtonWhose', { household: householdName(entry.householdId) })}` }),
    ]);
    withdraw.addEventListener('click', () => openWithdrawal(entry));
    withdrawButtons.set(entry.householdId, withdraw);
    return el('tr', {}, [
      el('th', { attrs: { scope: 'row' } }, [householdName(entry.householdId), el('span', { className: 'muted', text: ` ${entry.householdId}` })]),
      el('td', { text: scopesText(entry.scopes) }),
      el('td', {}, [entry.consentedAt ? el('time', { attrs: { datetime: entry.consentedAt }, text: ui.absoluteTime(entry.consentedAt) }) : ui.st('dash')]),
      el('td', { text: entry.textVersion ?? ui.st('dash') }),
      el('td', {}, [entry.withdrawnAt ? el('time', { attrs: { datetime: entry.withdrawnAt }, text: ui.absoluteTime(entry.withdrawnAt) }) : ui.st('dash')]),
      el('td', {}, [entry.rawDataDeletedAt ? el('time', { attrs: { datetime: entry.rawDataDeletedAt }, text: ui.absoluteTime(entry.rawDataDeletedAt) }) : ui.st('dash')]),
      el('td', {}, [withdraw]),
    ]);
  }

  /**
   * The hub's answer to a change as a message; a refusal (400) is headed by the page's own words
   * and lists each problem the hub named.
   * @param {unknown} error
   * @param {string} refusedKey
   */
  function refusal(error, refusedKey) {
    const message = ui.describeError(error);
    if (message && error instanceof ui.ApiError && error.status === 400) {
      message.problems = problemList(message);
      message.what = t(refusedKey);
    }
    return message;
  }

  /**
   * The problems a refused change lists, from either shape of answer: a
   * headline and one problem per line (the governance store's), or one line of
   * "path: message; path: message" (a request the route's schema refused).
   * @param {AlertMessage | null} message
   */
  function problemList(message) {
    if (!message) return [];
    if (message.problems && message.problems.length > 0) return message.problems;
    return message.what.split('; ').filter((part) => /^[\w.]+:/.test(part));
  }

  /**
   * Marks the inputs that the problems name, by the longest matching field path.
   * @param {string[]} problems
   * @param {Record<string, string>} fields field path → input id
   */
  function markInvalidFields(problems, fields) {
    const paths = Object.keys(fields).sort((a, b) => b.length - a.length);
    for (const problem of problems) {
      const path = /^([\w.]+):/.exec(problem)?.[1];
      if (!path) continue;
      const known = paths.find((p) => path === p || path.startsWith(`${p}.`));
      if (known) document.getElementById(/** @type {string} */ (fields[known]))?.setAttribute('aria-invalid', 'true');
    }
  }

  // Recording consent

  /** Consent fields as the server names them in its problems, and the inputs that hold them. */
  const CONSENT_FIELDS = {
    household: 'consent-household',
    scopes: 'consent-aggregates',
    'scopes.aggregates': 'consent-aggregates',
    'scopes.liveGeneration': 'consent-live-generation',
    'scopes.partners': 'consent-partners',
    textVersion: 'consent-version',
  };

  function fillConsentHouseholds() {
    const select = ui.byId('consent-household', HTMLSelectElement);
    const chosen = select.value;
    const first = /** @type {HTMLOptionElement} */ (select.options[0]);
    const households = [...householdLabels].sort(([, a], [, b]) => a.localeCompare(b, ui.page.locale || undefined, { numeric: true }));
    select.replaceChildren(first, ...households.map(([id, name]) => el('option', { attrs: { value: id }, text: t('householdOption', { label: name, id }) })));
    if (householdLabels.has(chosen)) select.value = chosen;
  }

  function setUpConsentForm() {
    const form = ui.byId('consent-form', HTMLFormElement);
    const household = ui.byId('consent-household', HTMLSelectElement);
    const aggregates = ui.byId('consent-aggregates', HTMLInputElement);
    const liveGeneration = ui.byId('consent-live-generation', HTMLInputElement);
    const partners = ui.byId('consent-partners', HTMLInputElement);
    const version = ui.byId('consent-version', HTMLInputElement);
    const errorRegion = ui.byId('consent-error', HTMLElement);
    const done = ui.byId('consent-done', HTMLElement);
    const submit = ui.byId('consent-submit', HTMLButtonElement);

    // Start from what the household has agreed to so far: the form records the whole of it anew.
    household.addEventListener('change', () => {
      const entry = consentRegister.find((e) => e.householdId === household.value);
      aggregates.checked = entry?.scopes.aggregates ?? false;
      liveGeneration.checked = entry?.scopes.liveGeneration ?? false;
      partners.value = entry?.scopes.partners.join(', ') ?? '';
    });

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      ui.showAlert(errorRegion, null);
      done.textContent = '';
      for (const id of new Set(Object.values(CONSENT_FIELDS))) ui.byId(id, HTMLElement).removeAttribute('aria-invalid');
      const householdId = household.value;
      const textVersion = version.value.trim();
      // The two fields the form cannot do without; the hub checks everything else.
      const missing = [!householdId ? t('consentHouseholdMissing') : null, !textVersion ? t('consentVersionMissing') : null].filter((p) => p !== null);
      if (missing.length > 0) {
        ui.showAlert(errorRegion, { what: t('consentRefused'), problems: missing, action: ui.st('invalidAction') });
        if (!householdId) household.setAttribute('aria-invalid', 'true');
        if (!textVersion) version.setAttribute('aria-invalid', 'true');
        (!householdId ? household : version).focus();
        return;
      }
      const scopes = {
        aggregates: aggregates.checked,
        liveGeneration: liveGeneration.checked,
        partners: partners.value
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean),
      };
      void ui.whileBusy(submit, async () => {
        try {
          /** @type {ConsentEntry} */
          const recorded = await ui.api('PUT', `/api/admin/consent/${encodeURIComponent(householdId)}`, { scopes, textVersion });
          done.textContent = t('consentRecorded', { household: householdName(householdId), version: recorded.textVersion ?? textVersion, scopes: scopesText(recorded.scopes) });
          // The next form signed is another household's or another version: it must be typed again.
          version.value = '';
        } catch (error) {
          const message = refusal(error, 'consentRefused');
          ui.showAlert(errorRegion, message);
          markInvalidFields(message?.problems ?? [], CONSENT_FIELDS);
          return;
        }
        // Recorded: a register that fails to load again is the page's problem, not the form's.
        await loadConsent().catch((error) => ui.showError(ui.pageAlert(), error));
      });
    });
  }

  // Withdrawing consent

  /** @param {ConsentEntry['scopes']} scopes @returns {Array<{ name: string, text: string }>} */
  const withdrawableScopes = (scopes) => [
    ...(scopes.aggregates ? [{ name: 'aggregates', text: t('withdrawScopeAggregates') }] : []),
    ...(scopes.liveGeneration ? [{ name: 'liveGeneration', text: t('withdrawScopeLiveGeneration') }] : []),
    ...scopes.partners.map((partner) => ({ name: `partner:${partner}`, text: t('withdrawScopePartner', { partner }) })),
  ];

  /** @param {ConsentEntry} entry */
  function openWithdrawal(entry) {
    const form = ui.byId('withdraw-form', HTMLFormElement);
    const heading = ui.byId('withdraw-heading', HTMLElement);
    if (withdrawingFor) withdrawButtons.get(withdrawingFor)?.setAttribute('aria-expanded', 'false');
    withdrawingFor = entry.householdId;
    withdrawButtons.get(entry.householdId)?.setAttribute('aria-expanded', 'true');
    heading.textContent = t('withdrawHeading', { household: householdName(entry.householdId) });
    const scopes = withdrawableScopes(entry.scopes);
    ui.byId('withdraw-all', HTMLInputElement).checked = true;
    ui.byId('withdraw-some-choice', HTMLElement).hidden = scopes.length === 0;
    const list = ui.byId('withdraw-scope-list', HTMLElement);
    list.replaceChildren(
      ...(scopes.length === 0
        ? [el('p', { className: 'muted', text: t('withdrawNothingLeft') })]
        : scopes.map((scope, i) => {
            const id = `withdraw-scope-${i}`;
            const box = el('input', { id, attrs: { type: 'checkbox', name: 'scope', value: scope.name } });
            // Ticking one thing means withdrawing only what is ticked.
            box.addEventListener('change', () => {
              if (box.checked) ui.byId('withdraw-some', HTMLInputElement).checked = true;
            });
            return el('div', { className: 'choice' }, [box, el('label', { attrs: { for: id }, text: scope.text })]);
          })),
    );
    ui.byId('withdraw-delete-raw', HTMLInputElement).checked = false;
    ui.showAlert(ui.byId('withdraw-error', HTMLElement), null);
    ui.byId('withdraw-done', HTMLElement).textContent = '';
    form.hidden = false;
    heading.focus();
    form.scrollIntoView({ block: 'nearest' });
  }

  /** @param {{ returnFocus: boolean }} options */
  function closeWithdrawal({ returnFocus }) {
    const householdId = withdrawingFor;
    withdrawingFor = null;
    ui.byId('withdraw-form', HTMLFormElement).hidden = true;
    const button = householdId ? withdrawButtons.get(householdId) : undefined;
    button?.setAttribute('aria-expanded', 'false');
    if (returnFocus) button?.focus();
  }

  function setUpWithdrawForm() {
    const form = ui.byId('withdraw-form', HTMLFormElement);
    const errorRegion = ui.byId('withdraw-error', HTMLElement);
    const done = ui.byId('withdraw-done', HTMLElement);
    const confirm = ui.byId('withdraw-confirm', HTMLButtonElement);
    const deleteRaw = ui.byId('withdraw-delete-raw', HTMLInputElement);
    ui.byId('withdraw-cancel', HTMLButtonElement).addEventListener('click', () => closeWithdrawal({ returnFocus: true }));
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeWithdrawal({ returnFocus: true });
    });

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const householdId = withdrawingFor;
      if (!householdId) return;
      ui.showAlert(errorRegion, null);
      const boxes = /** @type {HTMLInputElement[]} */ ([...form.querySelectorAll('input[name="scope"]')]);
      for (const box of boxes) box.removeAttribute('aria-invalid');
      const all = ui.byId('withdraw-all', HTMLInputElement).checked;
      const ticked = boxes.filter((box) => box.checked);
      if (!all && ticked.length === 0) {
        ui.showAlert(errorRegion, { what: t('withdrawRefused'), problems: [t('withdrawChooseScope')], action: t('withdrawChooseScopeAction') });
        for (const box of boxes) box.setAttribute('aria-invalid', 'true');
        boxes[0]?.focus();
        return;
      }
      const scopes = all ? 'all' : ticked.map((box) => box.value);
      const deleteRawData = deleteRaw.checked;
      void ui.whileBusy(confirm, async () => {
        try {
          /** @type {{ householdId: string, withdrawn: string, readingsDeleted: number }} */
          const result = await ui.api('DELETE', `/api/admin/consent/${encodeURIComponent(householdId)}`, { scopes, deleteRawData });
          const household = householdName(householdId);
          const what = all
            ? t('withdrawDoneAll', { household })
            : t('withdrawDoneSome', { household, scopes: ticked.map((box) => box.labels?.[0]?.textContent ?? box.value).join(t('listComma')) });
          const readings = !deleteRawData
            ? t('withdrawDoneKept')
            : result.readingsDeleted > 0
              ? t('withdrawDoneReadings', { n: ui.count(result.readingsDeleted) })
              : t('withdrawDoneNoReadings');
          closeWithdrawal({ returnFocus: false });
          done.textContent = [what, readings, t('withdrawDoneNext')].join(' ');
        } catch (error) {
          const message = refusal(error, 'withdrawRefused');
          ui.showAlert(errorRegion, message);
          return;
        }
        // Withdrawn: the register shows it, and keyboard users are back on the household's row.
        await loadConsent().catch((error) => ui.showError(ui.pageAlert(), error));
        withdrawButtons.get(householdId)?.focus();
      });
    });
  }

  /** @param {RetentionRun} run */
  function retentionRow(run) {
    const deleted = Object.entries(run.deleted).map(([what, n]) => t('deletedItem', { what: label(`deleted_${what}`, what), n: ui.count(n) }));
    return el('tr', {}, [
      el('th', { attrs: { scope: 'row' } }, [el('time', { attrs: { datetime: run.at }, text: ui.absoluteTime(run.at) })]),
      el('td', { text: deleted.length > 0 ? deleted.join(t('listSeparator')) : t('deletedNothing') }),
      el('td', {}, [run.error ? el('span', { className: 'state state-suppressed', text: run.error }) : t('noErrors')]),
    ]);
  }

  // Loading

  async function loadStatus() {
    showStatus(await ui.api('GET', '/api/admin/publish-status'));
  }
  async function loadProposals() {
    proposals = (await ui.api('GET', '/api/admin/proposals')).proposals;
    showProposals();
  }
  async function loadConsent() {
    /** @type {[ConsentEntry[], { households: Array<{ id: string, label: string }> }]} */
    const [register, list] = await Promise.all([ui.api('GET', '/api/admin/consent'), ui.api('GET', '/api/admin/households')]);
    householdLabels = new Map(list.households.map((h) => [h.id, h.label]));
    consentRegister = register;
    withdrawButtons = new Map();
    fillTable(tableBody('consent-table'), 'consent-empty', register.map(consentRow));
    fillConsentHouseholds();
  }
  async function loadRetention() {
    /** @type {{ runs: RetentionRun[] }} */
    const answer = await ui.api('GET', '/api/admin/retention-runs');
    fillTable(tableBody('retention-table'), 'retention-empty', answer.runs.map(retentionRow));
  }

  void (async () => {
    const session = await ui.start('group');
    if (!session) return;
    setUpDecisionForm();
    setUpConsentForm();
    setUpWithdrawForm();
    // Each part loads on its own: one failing still leaves the others.
    const results = await Promise.allSettled([loadStatus(), loadProposals(), loadConsent(), loadRetention()]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed && failed.status === 'rejected') ui.showError(ui.pageAlert(), failed.reason);
  })();
})();
