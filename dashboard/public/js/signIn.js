// @ts-check
// The sign-in page: sends the username and password to POST /api/admin/session,
// then goes to `?next=` (a path on this hub only) or the role's own page.

(() => {
  const ui = cwSignedIn;
  const form = ui.byId('sign-in-form', HTMLFormElement);
  const username = ui.byId('sign-in-username', HTMLInputElement);
  const password = ui.byId('sign-in-password', HTMLInputElement);
  const submit = ui.byId('sign-in-submit', HTMLButtonElement);
  const errorRegion = ui.byId('sign-in-error', HTMLElement);

  /**
   * Where to go after signing in: `next` if it is a path on this hub (not another
   * site, not `//host`, not the sign-in page itself), else the role's page.
   * @param {'volunteer' | 'group' | 'admin'} role
   */
  function destination(role) {
    const next = new URLSearchParams(location.search).get('next');
    if (next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\')) {
      try {
        const url = new URL(next, location.origin);
        if (url.origin === location.origin && url.pathname !== '/sign-in') return url.pathname + url.search + url.hash;
      } catch {
        // Not a URL: the role's page.
      }
    }
    return ui.homeOf(role);
  }

  /** @param {unknown} error */
  function explain(error) {
    if (error instanceof ui.ApiError && error.status === 401) return { what: ui.st('wrongPassword'), action: ui.st('wrongPasswordAction') };
    if (error instanceof ui.ApiError && error.status === 400) return { what: ui.st('missingFields'), action: ui.st('missingFieldsAction') };
    return ui.describeError(error);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    ui.showAlert(errorRegion, null);
    username.removeAttribute('aria-invalid');
    password.removeAttribute('aria-invalid');
    const name = username.value.trim();
    if (name === '' || password.value === '') {
      if (name === '') username.setAttribute('aria-invalid', 'true');
      if (password.value === '') password.setAttribute('aria-invalid', 'true');
      ui.showAlert(errorRegion, { what: ui.st('missingFields'), action: ui.st('missingFieldsAction') });
      (name === '' ? username : password).focus();
      return;
    }
    void ui.whileBusy(submit, async () => {
      submit.textContent = ui.st('submitting');
      try {
        const session = await ui.api('POST', '/api/admin/session', { username: name, password: password.value }, { on401: 'throw' });
        password.value = '';
        location.assign(destination(session.role));
      } catch (error) {
        ui.showAlert(errorRegion, explain(error));
        if (error instanceof ui.ApiError && error.status === 401) {
          password.value = '';
          password.focus();
        }
      } finally {
        submit.textContent = ui.st('submit');
      }
    });
  });

  // Someone already signed in sees who, and a way to their page; the form stays to switch users.
  void (async () => {
    try {
      const session = await ui.api('GET', '/api/admin/session', undefined, { on401: 'throw' });
      ui.byId('signed-in-already-text', HTMLElement).textContent = ui.st('alreadySignedIn', {
        name: session.displayName || session.username,
        role: ui.roleName(session.role),
      });
      ui.byId('signed-in-home', HTMLAnchorElement).href = destination(session.role);
      ui.byId('signed-in-already', HTMLElement).hidden = false;
    } catch (error) {
      if (!(error instanceof ui.ApiError && (error.status === 401 || error.status === 0))) ui.showError(ui.pageAlert(), error);
    }
    form.hidden = false;
  })();
})();
