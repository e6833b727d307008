// @ts-check
// The page's link to the hub: server-sent events from /api/public/events.
// The hub sends `ping` every few seconds and `released` when new figures are
// out, `live` when the live solar figure changed. If no event arrives for three pings, or the browser gives up on the
// stream (it does after an error answer such as 502 from a restarting hub), the
// link is closed and opened again with a growing wait (5 s up to 2 min), for as
// long as the page is open. One EventSource at a time; nothing else is kept, so
// a screen can run for weeks.

/**
 * @typedef {{ state: 'live' | 'lost', lastContact: number }} LinkState
 * @typedef {{ onReleased(): void, onReconnected(): void, onState(state: LinkState): void, onLive?: () => void }} LinkHandlers
 */

(() => {
  /** @param {LinkHandlers} handlers */
  function connectLive(handlers) {
    /** @type {EventSource | null} */
    let source = null;
    let lastContact = Date.now();
    let pingMs = 20_000;
    let retryMs = 5_000;
    /** @type {'live' | 'lost'} */
    let state = 'live';
    let everLost = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let watchdog;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let reopen;

    /** @param {'live' | 'lost'} next */
    const setState = (next) => {
      if (next === state) return;
      state = next;
      if (next === 'lost') everLost = true;
      handlers.onState({ state, lastContact });
    };
    const armWatchdog = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        setState('lost');
        restart();
      }, pingMs * 3);
    };
    const contact = () => {
      lastContact = Date.now();
      retryMs = 5_000;
      armWatchdog();
    };
    const restart = () => {
      source?.close();
      source = null;
      clearTimeout(reopen);
      reopen = setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 120_000);
    };
    const open = () => {
      source = new EventSource('/api/public/events');
      source.addEventListener('hello', (event) => {
        try {
          const data = JSON.parse(/** @type {MessageEvent} */ (event).data);
          if (typeof data.pingSeconds === 'number' && data.pingSeconds > 0) pingMs = data.pingSeconds * 1000;
        } catch {
          // An old hub without pingSeconds: keep the default.
        }
        contact();
        const wasLost = everLost;
        everLost = false;
        setState('live');
        // After any gap the figures may have moved on: fetch them again.
        if (wasLost) handlers.onReconnected();
      });
      source.addEventListener('ping', () => {
        contact();
        setState('live');
      });
      source.addEventListener('released', () => {
        contact();
        handlers.onReleased();
      });
      source.addEventListener('live', () => {
        contact();
        handlers.onLive?.();
      });
      source.addEventListener('error', () => {
        // The link dropped: say so at once. The browser retries by itself while
        // readyState is CONNECTING; once CLOSED it never will, so start again.
        setState('lost');
        if (source && source.readyState === EventSource.CLOSED) restart();
      });
      armWatchdog();
    };
    open();
    return { state: () => ({ state, lastContact }) };
  }

  /** @type {any} */ (window).commonwattLive = { connectLive };
})();
