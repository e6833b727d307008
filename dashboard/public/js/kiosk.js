// @ts-check
// The community-centre screen: cycles the panels, swaps in new ones when
// figures are released or the link comes back, and says "Data delayed since
// 14:05" while the hub can't be reached, greying the numbers so nobody takes
// them for live. It holds one timer per job and replaces panels in place, so
// it can run for weeks without a reload.

(() => {
  const dataElement = document.getElementById('page-data');
  const panels = /** @type {HTMLElement | null} */ (document.querySelector('[data-kiosk-panels]'));
  const stateBox = /** @type {HTMLElement | null} */ (document.querySelector('.kiosk-state'));
  const textBox = /** @type {HTMLElement | null} */ (document.querySelector('[data-status-text]'));
  if (!dataElement || !panels || !stateBox || !textBox) return;
  const state = stateBox;
  const text = textBox;
  /** @type {{ strings: Record<string, string>, locale: string, timeZone: string }} */
  const page = JSON.parse(dataElement.textContent ?? '{}');
  const s = page.strings;
  const time = new Intl.DateTimeFormat(page.locale, { hour: '2-digit', minute: '2-digit', timeZone: page.timeZone });
  const params = new URLSearchParams(location.search);
  const panelSeconds = Math.max(3, Number(params.get('seconds')) || 12);

  let index = 0;
  function show() {
    const all = panels ? [...panels.querySelectorAll('[data-panel]')] : [];
    if (all.length === 0) return;
    index %= all.length;
    all.forEach((panel, i) => {
      panel.classList.toggle('current', i === index);
      panel.setAttribute('aria-hidden', String(i !== index));
    });
  }
  panels.classList.add('cycling');
  show();
  setInterval(() => {
    index += 1;
    show();
  }, panelSeconds * 1000);

  async function refresh() {
    try {
      const answer = await fetch('/partials/kiosk', { cache: 'no-store' });
      if (!answer.ok) return;
      const html = await answer.text();
      if (panels) panels.innerHTML = html; // server-rendered, escaped HTML from the hub itself
      show();
      setLive(Date.now());
    } catch {
      // Still unreachable: the link keeps trying.
    }
  }

  /** @param {number} at */
  function setLive(at) {
    state.dataset.state = 'live';
    document.body.classList.remove('delayed');
    text.textContent = (s.statusLive ?? '').replace('{time}', time.format(at));
  }

  // The day moves on at midnight even when nothing is released: look again every 10 minutes.
  setInterval(refresh, 10 * 60_000);

  const live = /** @type {any} */ (window).commonwattLive;
  live?.connectLive({
    onReleased: refresh,
    onReconnected: refresh,
    onLive: refresh,
    /** @param {{ state: 'live' | 'lost', lastContact: number }} link */
    onState(link) {
      if (link.state === 'live') {
        setLive(Date.now());
        return;
      }
      state.dataset.state = 'lost';
      document.body.classList.add('delayed');
      text.textContent = `${(s.statusDelayed ?? '').replace('{time}', time.format(link.lastContact))}. ${s.statusDelayedDetail ?? ''}`;
    },
  });
})();
