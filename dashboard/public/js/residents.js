// @ts-check
// Residents' view enhancements: charts of the released history (uPlot), the
// scale switch without a reload, and new figures as soon as they are released.
// The page works without this script: numbers and tables are server-rendered.

/**
 * @typedef {{ key: string, generationWh: number | null, consumptionWh: number | null, days: number }} HistoryPoint
 * @typedef {'day' | 'week' | 'month' | 'year'} Scale
 * @typedef {{ history: Record<Scale, HistoryPoint[]>, scale: Scale, strings: Record<string, string>, locale: string, timeZone: string }} PageData
 */

(() => {
  const dataElement = document.getElementById('page-data');
  if (!dataElement) return;
  /** @type {PageData} */
  const page = JSON.parse(dataElement.textContent ?? '{}');
  const s = page.strings;
  const chartBox = /** @type {HTMLElement | null} */ (document.querySelector('[data-chart]'));
  /** @type {any} */
  const uPlot = /** @type {any} */ (window).uPlot;
  /** @type {any} */
  let chart = null;
  let scale = page.scale;

  /** @param {string} key */
  const keyToSeconds = (key) => Date.parse(`${key.length === 4 ? `${key}-01-01` : key.length === 7 ? `${key}-01` : key}T12:00:00Z`) / 1000;
  const kwh = new Intl.NumberFormat(page.locale, { maximumFractionDigits: 1 });
  /** @param {string} name */
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const dateFormats = {
    day: new Intl.DateTimeFormat(page.locale, { timeZone: 'UTC', day: 'numeric', month: 'short' }),
    week: new Intl.DateTimeFormat(page.locale, { timeZone: 'UTC', day: 'numeric', month: 'short' }),
    month: new Intl.DateTimeFormat(page.locale, { timeZone: 'UTC', month: 'short', year: '2-digit' }),
    year: new Intl.DateTimeFormat(page.locale, { timeZone: 'UTC', year: 'numeric' }),
  };

  function draw() {
    if (!chartBox || typeof uPlot !== 'function') return;
    const points = page.history[scale] ?? [];
    chart?.destroy();
    chart = null;
    chartBox.replaceChildren();
    if (points.length === 0) {
      chartBox.hidden = true;
      return;
    }
    chartBox.hidden = false;
    const label = s.chartLabel?.replace('{scale}', (s[`history${scale[0].toUpperCase()}${scale.slice(1)}`] ?? scale).toLowerCase());
    if (label) chartBox.setAttribute('aria-label', label);
    const xs = points.map((p) => keyToSeconds(p.key));
    const gen = points.map((p) => (p.generationWh === null ? null : p.generationWh / 1000));
    const use = points.map((p) => (p.consumptionWh === null ? null : p.consumptionWh / 1000));
    const fg = css('--fg');
    const grid = css('--border');
    const step = xs.length > 1 ? (xs[xs.length - 1] - xs[0]) / (xs.length - 1) : 86_400;
    const opts = {
      width: Math.max(280, chartBox.clientWidth - 16),
      height: Math.min(360, Math.max(220, Math.round(chartBox.clientWidth * 0.5))),
      scales: { x: { time: false, range: () => [xs[0] - step * 0.6, xs[xs.length - 1] + step * 0.6] }, y: { range: (/** @type {any} */ _u, /** @type {number} */ _min, /** @type {number} */ max) => [0, max > 0 ? max * 1.1 : 1] } },
      legend: { live: false },
      cursor: { show: true, points: { show: false } },
      axes: [
        {
          stroke: fg,
          grid: { show: false },
          ticks: { stroke: grid },
          values: (/** @type {any} */ _u, /** @type {number[]} */ splits) => splits.map((v) => dateFormats[scale].format(new Date(v * 1000))),
          space: 60,
        },
        { stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid }, values: (/** @type {any} */ _u, /** @type {number[]} */ splits) => splits.map((v) => kwh.format(v)), size: 60, label: 'kWh', labelSize: 20 },
      ],
      series: [
        {},
        { label: s.chartGeneration, fill: css('--solar-fill'), stroke: css('--solar-fill'), width: 0, paths: uPlot.paths.bars({ size: [0.6, 60], align: 0 }), points: { show: false } },
        { label: s.chartConsumption, stroke: css('--use-fill'), width: 3, points: { show: true, size: 6, fill: css('--use-fill') } },
      ],
    };
    chart = new uPlot(opts, [xs, gen, use], chartBox);
  }

  /** @param {Scale} next */
  async function switchScale(next) {
    scale = next;
    for (const link of document.querySelectorAll('[data-scale]')) {
      if (link.getAttribute('data-scale') === next) link.setAttribute('aria-current', 'true');
      else link.removeAttribute('aria-current');
    }
    draw();
    // The table follows the chart: fetch the server-rendered page for this scale and take its table.
    try {
      const answer = await fetch(`/?history=${next}`, { headers: { accept: 'text/html' } });
      if (!answer.ok) return;
      const doc = new DOMParser().parseFromString(await answer.text(), 'text/html');
      const fresh = doc.querySelector('[data-history-table]');
      const current = document.querySelector('[data-history-table]');
      if (fresh && current) {
        /** @type {HTMLDetailsElement} */ (fresh).open = /** @type {HTMLDetailsElement} */ (current).open;
        current.replaceWith(document.importNode(fresh, true));
      }
    } catch {
      // The chart already shows the figures; the table catches up on the next visit.
    }
  }

  for (const link of document.querySelectorAll('[data-scale]')) {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      const next = /** @type {Scale} */ (link.getAttribute('data-scale'));
      history.replaceState(null, '', `?history=${next}#history`);
      void switchScale(next);
    });
  }

  // With a chart on screen the table starts folded; it stays one click away.
  const table = /** @type {HTMLDetailsElement | null} */ (document.querySelector('[data-history-table]'));
  if (table && typeof uPlot === 'function') table.open = false;
  draw();

  let width = chartBox?.clientWidth ?? 0;
  if (chartBox && 'ResizeObserver' in window) {
    new ResizeObserver(() => {
      if (Math.abs(chartBox.clientWidth - width) < 24) return;
      width = chartBox.clientWidth;
      chart?.setSize({ width: Math.max(280, width - 16), height: Math.min(360, Math.max(220, Math.round(width * 0.5))) });
    }).observe(chartBox);
  }
  document.addEventListener('commonwatt:theme', draw);

  // Live: new figures replace the old ones in place, and the reader is told when the link drops.
  const region = document.querySelector('[data-live-region]');
  const status = /** @type {HTMLElement | null} */ (document.querySelector('[data-live-status]'));
  const time = new Intl.DateTimeFormat(page.locale, { hour: '2-digit', minute: '2-digit' });
  async function refreshLive() {
    try {
      const partial = await fetch('/partials/figures');
      if (partial.ok && region) region.innerHTML = await partial.text(); // server-rendered, escaped HTML from the hub itself
    } catch {
      // Caught up at the next event.
    }
  }
  async function refresh() {
    try {
      const [partial, summary] = await Promise.all([fetch('/partials/figures'), fetch('/api/public/summary')]);
      if (!partial.ok || !summary.ok) return;
      if (region) region.innerHTML = await partial.text(); // server-rendered, escaped HTML from the hub itself
      page.history = (await summary.json()).history;
      draw();
    } catch {
      // The link watchdog reports a lost hub; the next release or reconnection retries.
    }
  }
  const live = /** @type {any} */ (window).commonwattLive;
  if (live && status) {
    live.connectLive({
      onReleased: refresh,
      onReconnected: refresh,
      onLive: refreshLive,
      /** @param {{ state: 'live' | 'lost', lastContact: number }} link */
      onState(link) {
        status.dataset.state = link.state;
        status.hidden = link.state === 'live';
        status.textContent = link.state === 'lost' ? (s.liveLost ?? '').replace('{time}', time.format(link.lastContact)) : '';
      },
    });
  }
})();
