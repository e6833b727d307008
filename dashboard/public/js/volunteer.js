// @ts-check
// The volunteers' page: sensor health (refreshed every 30 s while the page is
// visible), households and zones, and adding a meter with a pairing code.
// It shows device facts and counts only: the API it reads has no energy values.

/**
 * @typedef {{
 *   meterId: string, householdId: string, householdLabel: string | null, zone: string | null,
 *   kind: string, driver: string, online: boolean, lastSeenAt: string | null,
 *   readingsLastHour: number, readingsAccepted: number, duplicates: number, rejected: number,
 *   rejectedByCode: Record<string, number>,
 *   lastRejection: { at: string, code: string, summary: string } | null,
 *   device: { driver: string | null, firmware: string | null, agentVersion: string | null, lastError: string | null } | null
 * }} Sensor
 * @typedef {{ id: string, label: string, zone: string | null, meters: number, createdAt: string }} Household
 * @typedef {{ meterId: string, pairingCode: string, expiresAt: string, pairCommand: string }} Pairing
 */

(() => {
  const ui = cwSignedIn;
  const { t, label } = ui.pt;
  const { el } = ui;

  const REFRESH_MS = 30_000;
  const sensorBody = /** @type {HTMLTableSectionElement} */ (ui.byId('sensor-table', HTMLTableElement).tBodies[0]);
  const householdBody = /** @type {HTMLTableSectionElement} */ (ui.byId('household-table', HTMLTableElement).tBodies[0]);
  const householdSelect = ui.byId('meter-household', HTMLSelectElement);

  /** @param {number} n */
  const numCell = (n) => el('td', { className: 'num', text: ui.count(n) });
  /** @param {string | null | undefined} text */
  const textCell = (text) => el('td', { text: text || ui.st('dash') });

  /** @param {Sensor} sensor @param {number} now */
  function sensorRow(sensor, now) {
    const household = el('td', {}, [
      sensor.householdLabel ?? sensor.householdId,
      el('span', { className: 'cell-detail', text: sensor.zone ? t('zoneOf', { zone: sensor.zone }) : t('noZone') }),
    ]);
    const status = el('td', {}, [el('span', { className: `state ${sensor.online ? 'state-online' : 'state-offline'}`, text: t(sensor.online ? 'online' : 'offline') })]);
    const rejected = el('td', {}, [el('span', { text: ui.count(sensor.rejected) })]);
    const codes = Object.entries(sensor.rejectedByCode).filter(([, n]) => n > 0);
    if (codes.length > 0) rejected.append(el('ul', {}, codes.map(([code, n]) => el('li', { text: t('rejectedItem', { code: label(`reject_${code}`, code), n: ui.count(n) }) }))));
    if (sensor.lastRejection) {
      rejected.append(
        el('span', {
          className: 'cell-detail',
          text: t('lastRejection', { summary: sensor.lastRejection.summary, time: ui.relativeTime(sensor.lastRejection.at, now) }),
        }),
      );
    }
    const device = sensor.device;
    return el('tr', { id: `sensor-${sensor.meterId}` }, [
      el('th', { attrs: { scope: 'row' } }, [sensor.meterId, el('span', { className: 'cell-detail', text: label(`kind_${sensor.kind}`, sensor.kind) })]),
      household,
      status,
      el('td', {}, [ui.timeElement(sensor.lastSeenAt, now)]),
      numCell(sensor.readingsLastHour),
      numCell(sensor.readingsAccepted),
      numCell(sensor.duplicates),
      rejected,
      el('td', {}, [
        device?.driver || sensor.driver,
        device?.driver && device.driver !== sensor.driver ? el('span', { className: 'cell-detail', text: label(`driver_${sensor.driver}`, sensor.driver) }) : null,
      ]),
      textCell(device?.firmware ?? t('notReported')),
      textCell(device?.agentVersion ?? t('notReported')),
      textCell(device?.lastError),
    ]);
  }

  let sensorsLoading = false;
  async function loadSensors() {
    if (sensorsLoading) return;
    sensorsLoading = true;
    try {
      /** @type {{ at: string, sensors: Sensor[] }} */
      const answer = await ui.api('GET', '/api/admin/sensors');
      const now = Date.parse(answer.at);
      sensorBody.replaceChildren(...answer.sensors.map((sensor) => sensorRow(sensor, now)));
      ui.byId('sensors-empty', HTMLElement).hidden = answer.sensors.length > 0;
      ui.byId('sensors-updated', HTMLElement).textContent = t('sensorsUpdated', { time: ui.absoluteTime(answer.at) });
      ui.showAlert(ui.pageAlert(), null);
    } catch (error) {
      ui.showError(ui.pageAlert(), error);
    } finally {
      sensorsLoading = false;
    }
  }

  /** @param {Household[]} households */
  function showHouseholds(households) {
    householdBody.replaceChildren(
      ...households.map((h) =>
        el('tr', { id: `household-${h.id}` }, [el('th', { attrs: { scope: 'row' }, text: h.label }), textCell(h.zone ?? t('noZone')), numCell(h.meters), textCell(h.id)]),
      ),
    );
    ui.byId('households-empty', HTMLElement).hidden = households.length > 0;
    const chosen = householdSelect.value;
    const first = /** @type {HTMLOptionElement} */ (householdSelect.options[0]);
    householdSelect.replaceChildren(
      first,
      ...households.map((h) => el('option', { attrs: { value: h.id }, text: h.zone ? t('householdOption', { label: h.label, zone: h.zone }) : h.label })),
    );
    if (households.some((h) => h.id === chosen)) householdSelect.value = chosen;
  }

  async function loadHouseholds() {
    try {
      /** @type {{ households: Household[] }} */
      const answer = await ui.api('GET', '/api/admin/households');
      showHouseholds(answer.households);
    } catch (error) {
      ui.showError(ui.pageAlert(), error);
    }
  }

  function setUpHouseholdForm() {
    const form = ui.byId('add-household-form', HTMLFormElement);
    const labelInput = ui.byId('household-label', HTMLInputElement);
    const zoneInput = ui.byId('household-zone', HTMLInputElement);
    const errorRegion = ui.byId('add-household-error', HTMLElement);
    const done = ui.byId('add-household-done', HTMLElement);
    const submit = ui.byId('add-household-submit', HTMLButtonElement);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      ui.showAlert(errorRegion, null);
      done.textContent = '';
      for (const input of [labelInput, zoneInput]) input.removeAttribute('aria-invalid');
      void ui.whileBusy(submit, async () => {
        try {
          /** @type {Household} */
          const added = await ui.api('POST', '/api/admin/households', { label: labelInput.value, zone: zoneInput.value.trim() || null });
          form.reset();
          done.textContent = t('householdAdded', { label: added.label, id: added.id });
          await loadHouseholds();
        } catch (error) {
          const message = ui.describeError(error);
          ui.showAlert(errorRegion, message);
          const text = message ? [message.what, ...(message.problems ?? [])].join(' ') : '';
          if (/\blabel\b/.test(text)) labelInput.setAttribute('aria-invalid', 'true');
          if (/\bzone\b/.test(text)) zoneInput.setAttribute('aria-invalid', 'true');
        }
      });
    });
  }

  /** @param {Pairing} pairing */
  function showPairing(pairing) {
    const box = ui.byId('pairing-result', HTMLElement);
    ui.byId('pairing-heading', HTMLElement).textContent = t('pairingHeading', { meterId: pairing.meterId });
    ui.byId('pairing-code', HTMLElement).textContent = pairing.pairingCode;
    const expires = ui.byId('pairing-expires', HTMLElement);
    expires.replaceChildren(t('pairingExpires', { time: ui.st('timeBoth', { absolute: ui.absoluteTime(pairing.expiresAt), relative: ui.relativeTime(pairing.expiresAt) }) }));
    ui.byId('pairing-command', HTMLElement).textContent = pairing.pairCommand;
    box.hidden = false;
    box.focus();
  }

  function setUpMeterForm() {
    const form = ui.byId('add-meter-form', HTMLFormElement);
    const kind = ui.byId('meter-kind', HTMLSelectElement);
    const driver = ui.byId('meter-driver', HTMLSelectElement);
    const errorRegion = ui.byId('add-meter-error', HTMLElement);
    const submit = ui.byId('add-meter-submit', HTMLButtonElement);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      ui.showAlert(errorRegion, null);
      householdSelect.removeAttribute('aria-invalid');
      void ui.whileBusy(submit, async () => {
        try {
          /** @type {Pairing} */
          const pairing = await ui.api('POST', '/api/admin/meters', { householdId: householdSelect.value, kind: kind.value, driver: driver.value });
          showPairing(pairing);
          await Promise.all([loadSensors(), loadHouseholds()]);
        } catch (error) {
          const message = ui.describeError(error);
          ui.showAlert(errorRegion, message);
          if (message && /householdId/.test([message.what, ...(message.problems ?? [])].join(' '))) householdSelect.setAttribute('aria-invalid', 'true');
        }
      });
    });
  }

  void (async () => {
    const session = await ui.start('volunteer');
    if (!session) return;
    setUpHouseholdForm();
    setUpMeterForm();
    ui.byId('sensors-refresh', HTMLButtonElement).addEventListener('click', () => void loadSensors());
    await Promise.all([loadSensors(), loadHouseholds()]);
    // Only while someone can see it: a hidden tab costs the hub nothing.
    setInterval(() => {
      if (document.visibilityState === 'visible') void loadSensors();
    }, REFRESH_MS);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void loadSensors();
    });
  })();
})();
