// @ts-check
// Shared by the signed-in pages (sign-in, volunteers', group's): the page's data
// and strings, who is signed in, JSON calls to /api/admin/... with the CSRF
// token, and errors shown as what happened and what to do. Pages build their
// content with createElement and textContent only, never with markup strings.
// Loaded before the page's own script (both `defer`), it leaves one global:
// `cwSignedIn`.

/**
 * @typedef {'volunteer' | 'group' | 'admin'} Role
 * @typedef {{ username: string, displayName: string, role: Role, csrfToken: string }} Session
 * @typedef {Record<string, string>} Strings
 * @typedef {{ strings: Strings, shared: Strings, locale: string, timeZone: string | null }} SignedInPageData
 * @typedef {{ what: string, action?: string, problems?: string[] }} AlertMessage
 * @typedef {Node | string | number | null | undefined | false} Child
 * @typedef {{ className?: string, id?: string, text?: string, attrs?: Record<string, string> }} ElementProps
 */

// A `var`, so the page scripts (separate classic scripts) can see it.
// eslint-disable-next-line no-var
var cwSignedIn = (() => {
  const dataElement = document.getElementById('page-data');
  /** @type {SignedInPageData} */
  const page = JSON.parse(dataElement?.textContent || '{}');
  const shared = page.shared ?? {};
  /** @type {Session | null} */
  let session = null;

  /**
   * A string from a table, with `{name}` placeholders filled in.
   * @param {Strings} table
   * @param {string} key
   * @param {Record<string, string | number>} [values]
   */
  function format(table, key, values) {
    const text = table[key];
    if (text === undefined) {
      console.warn(`signed-in pages: no string "${key}"; add it to dashboard/strings/<language>/`);
      return key;
    }
    if (!values) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  /** @param {string} key @param {Record<string, string | number>} [values] */
  const st = (key, values) => format(shared, key, values);

  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {ElementProps} [props]
   * @param {Child[]} [children]
   * @returns {HTMLElementTagNameMap[K]}
   */
  function el(tag, props = {}, children = []) {
    const element = document.createElement(tag);
    if (props.className) element.className = props.className;
    if (props.id) element.id = props.id;
    if (props.text !== undefined) element.textContent = props.text;
    for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      element.append(typeof child === 'number' ? String(child) : child);
    }
    return element;
  }

  /**
   * An element the page's shell must have; a missing one is a bug in the shell.
   * @template {HTMLElement} T
   * @param {string} id
   * @param {new () => T} type
   * @returns {T}
   */
  function byId(id, type) {
    const element = document.getElementById(id);
    if (!(element instanceof type)) throw new Error(`signed-in pages: #${id} is missing from the page or is not a ${type.name}`);
    return element;
  }

  class ApiError extends Error {
    /**
     * @param {number} status 0 when the hub did not answer
     * @param {string} serverMessage the answer's `error`, or ''
     * @param {string | null} retryAfter seconds, from Retry-After
     */
    constructor(status, serverMessage, retryAfter) {
      super(`HTTP ${status}: ${serverMessage}`);
      this.status = status;
      this.serverMessage = serverMessage;
      this.retryAfter = retryAfter;
    }
  }

  function goToSignIn() {
    location.assign(`/sign-in?next=${encodeURIComponent(location.pathname + location.hash)}`);
  }

  /**
   * Calls the hub's admin API. Changes carry the session's CSRF token. A 401
   * leads to the sign-in page (unless `on401` is 'throw'); other failures throw
   * an ApiError for `describeError`.
   * @param {'GET' | 'POST' | 'PUT' | 'DELETE'} method
   * @param {string} path
   * @param {unknown} [body]
   * @param {{ on401?: 'redirect' | 'throw' }} [options]
   * @returns {Promise<any>}
   */
  async function api(method, path, body, options = {}) {
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && session) headers['x-csrf-token'] = session.csrfToken;
    let response;
    try {
      response = await fetch(path, { method, headers, credentials: 'same-origin', cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, '', null);
    }
    /** @type {any} */
    let json = null;
    if (response.status !== 204) {
      try {
        json = await response.json();
      } catch {
        json = null;
      }
    }
    if (response.ok) return json;
    const error = new ApiError(response.status, json && typeof json.error === 'string' ? json.error : '', response.headers.get('retry-after'));
    if (response.status === 401 && (options.on401 ?? 'redirect') === 'redirect') goToSignIn();
    throw error;
  }

  /** @param {Role} role */
  const roleName = (role) => st(role === 'volunteer' ? 'roleVolunteer' : role === 'group' ? 'roleGroup' : 'roleAdmin');

  /** @param {string | null} retryAfter seconds */
  function describeWait(retryAfter) {
    const seconds = Math.max(1, Math.ceil(Number(retryAfter) || 30));
    return seconds < 90 ? st('waitSeconds', { n: seconds }) : st('waitMinutes', { n: Math.ceil(seconds / 60) });
  }

  /**
   * A server message of several lines ("Invalid decision:\n  date: ...") as a
   * headline and its problems.
   * @param {string} message
   * @returns {{ headline: string, problems: string[] }}
   */
  function splitProblems(message) {
    const lines = message.split('\n').map((line) => line.trim()).filter(Boolean);
    return { headline: lines[0] ?? '', problems: lines.slice(1) };
  }

  /**
   * What happened and what to do, for any error from `api` (or a bug).
   * @param {unknown} error
   * @returns {AlertMessage | null} null when the page is already going to the sign-in page
   */
  function describeError(error) {
    if (!(error instanceof ApiError)) {
      console.error(error);
      return { what: st('serverWhat'), action: st('serverAction') };
    }
    const { headline, problems } = splitProblems(error.serverMessage);
    switch (true) {
      case error.status === 0:
        return { what: st('networkWhat'), action: st('networkAction') };
      case error.status === 401:
        return { what: st('sessionEndedWhat'), action: st('sessionEndedAction') };
      case error.status === 403:
        return { what: st('forbiddenWhat', { error: error.serverMessage }), action: st('forbiddenAction') };
      case error.status === 429:
        return { what: st('tooMany'), action: st('tooManyAction', { wait: describeWait(error.retryAfter) }) };
      case error.status === 503:
        return { what: st('busy'), action: st('busyAction') };
      case error.status === 404:
        return { what: headline || st('invalidWhat'), problems, action: st('notFoundAction') };
      case error.status >= 400 && error.status < 500:
        return { what: headline || st('invalidWhat'), problems, action: st('invalidAction') };
      default:
        return { what: st('serverWhat'), action: st('serverAction') };
    }
  }

  /**
   * Shows a message in a role="alert" region (replacing what was there).
   * @param {HTMLElement} region
   * @param {AlertMessage | null} message
   */
  function showAlert(region, message) {
    region.replaceChildren();
    if (!message) return;
    const box = el('div', { className: 'error' }, [el('p', { className: 'error-what', text: message.what })]);
    if (message.problems && message.problems.length > 0) box.append(el('ul', {}, message.problems.map((p) => el('li', { text: p }))));
    if (message.action) box.append(el('p', { text: message.action }));
    region.append(box);
  }

  /** @param {HTMLElement} region @param {unknown} error */
  const showError = (region, error) => showAlert(region, describeError(error));

  const pageAlert = () => byId('page-alert', HTMLElement);

  /**
   * Disables a button while `work` runs, so a form is not sent twice.
   * @template T
   * @param {HTMLButtonElement} button
   * @param {() => Promise<T>} work
   * @returns {Promise<T>}
   */
  async function whileBusy(button, work) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      return await work();
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  // Dates and times in the hub's time zone, in the page's language.
  const timeZone = page.timeZone ?? undefined;
  /** @param {Intl.DateTimeFormatOptions} options */
  function dateFormat(options) {
    try {
      return new Intl.DateTimeFormat(page.locale, { ...options, timeZone });
    } catch {
      return new Intl.DateTimeFormat(undefined, options);
    }
  }
  const dateTimeFormat = dateFormat({ dateStyle: 'medium', timeStyle: 'short' });
  const dateOnlyFormat = dateFormat({ dateStyle: 'medium' });
  const relativeFormat = new Intl.RelativeTimeFormat(page.locale || undefined, { numeric: 'auto' });
  const numberFormat = new Intl.NumberFormat(page.locale || undefined);

  /** @param {string} iso */
  const absoluteTime = (iso) => dateTimeFormat.format(new Date(iso));
  /** @param {string} iso */
  const absoluteDate = (iso) => dateOnlyFormat.format(new Date(iso));

  /**
   * "5 minutes ago", against the hub's clock when `now` is given.
   * @param {string} iso
   * @param {number} [now] ms
   */
  function relativeTime(iso, now = Date.now()) {
    const seconds = Math.round((Date.parse(iso) - now) / 1000);
    const abs = Math.abs(seconds);
    if (abs < 60) return relativeFormat.format(seconds, 'second');
    if (abs < 3600) return relativeFormat.format(Math.round(seconds / 60), 'minute');
    if (abs < 86_400) return relativeFormat.format(Math.round(seconds / 3600), 'hour');
    return relativeFormat.format(Math.round(seconds / 86_400), 'day');
  }

  /**
   * A <time> saying when relative to now, with the date and time on a line of its own.
   * @param {string | null} iso
   * @param {number} [now]
   */
  function timeElement(iso, now) {
    if (!iso) return el('span', { text: st('never') });
    return el('time', { attrs: { datetime: iso } }, [relativeTime(iso, now), el('span', { className: 'cell-detail', text: absoluteTime(iso) })]);
  }

  /** @param {number} n */
  const count = (n) => numberFormat.format(n);

  /** Where a role starts. */
  /** @param {Role} role */
  const homeOf = (role) => (role === 'volunteer' ? '/volunteer' : '/group');

  function showSessionBar() {
    if (!session) return;
    const bar = byId('session-bar', HTMLElement);
    byId('session-user', HTMLElement).textContent = st('signedInAs', { name: session.displayName || session.username, role: roleName(session.role) });
    bar.hidden = false;
    const button = byId('sign-out', HTMLButtonElement);
    button.addEventListener('click', () =>
      whileBusy(button, async () => {
        try {
          await api('DELETE', '/api/admin/session', undefined, { on401: 'throw' });
        } catch (error) {
          // Already signed out (401) ends up in the same place.
          if (!(error instanceof ApiError && error.status === 401)) {
            showError(pageAlert(), error);
            return;
          }
        }
        location.assign('/sign-in');
      }),
    );
  }

  /**
   * Starts a signed-in page: asks who is signed in (going to the sign-in page
   * if nobody is), checks the role, shows the page's content.
   * @param {Role} needed the role the page is for (admin may use every page)
   * @returns {Promise<Session | null>} null when the page cannot be used
   */
  async function start(needed) {
    try {
      session = /** @type {Session} */ (await api('GET', '/api/admin/session'));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) showError(pageAlert(), error);
      return null;
    }
    showSessionBar();
    if (session.role !== 'admin' && session.role !== needed) {
      showAlert(pageAlert(), {
        what: st('wrongRoleWhat', { needed: roleName(needed), name: session.displayName || session.username, role: roleName(session.role) }),
        action: st('wrongRoleAction'),
      });
      return null;
    }
    byId('signed-in-app', HTMLElement).hidden = false;
    return session;
  }

  /** The page's own strings: `t(key, values)`, and `label(key, fallback)` for codes a newer hub may add. */
  const pt = {
    /** @param {string} key @param {Record<string, string | number>} [values] */
    t: (key, values) => format(page.strings, key, values),
    /** @param {string} key @param {string} fallback */
    label: (key, fallback) => (key in page.strings ? format(page.strings, key) : fallback),
  };

  return {
    page,
    format,
    st,
    pt,
    el,
    byId,
    api,
    ApiError,
    describeError,
    showAlert,
    showError,
    pageAlert,
    whileBusy,
    absoluteTime,
    absoluteDate,
    relativeTime,
    timeElement,
    count,
    roleName,
    describeWait,
    homeOf,
    start,
    /** @param {Session} signedIn */
    setSession(signedIn) {
      session = signedIn;
    },
  };
})();
