// @ts-check
// Light or dark: the reader's choice (kept in this browser), else the device's.
// The kiosk is dark unless its URL says ?theme=light. Runs before the page draws.
(() => {
  const root = document.documentElement;
  const fromUrl = new URLSearchParams(location.search).get('theme');
  let stored = null;
  try {
    stored = localStorage.getItem('commonwatt-theme');
  } catch {
    // Storage can be off (private mode); the device's choice applies.
  }
  const chosen = fromUrl === 'light' || fromUrl === 'dark' ? fromUrl : stored ?? (location.pathname === '/kiosk' ? 'dark' : null);
  if (chosen === 'light' || chosen === 'dark') root.dataset.theme = chosen;

  document.addEventListener('DOMContentLoaded', () => {
    const button = document.querySelector('[data-theme-toggle]');
    if (!(button instanceof HTMLButtonElement)) return;
    button.hidden = false;
    const current = () => root.dataset.theme ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
    const label = () => button.setAttribute('aria-pressed', String(current() === 'dark'));
    label();
    button.addEventListener('click', () => {
      const next = current() === 'dark' ? 'light' : 'dark';
      root.dataset.theme = next;
      try {
        localStorage.setItem('commonwatt-theme', next);
      } catch {
        // Not kept across visits; fine.
      }
      label();
      document.dispatchEvent(new CustomEvent('commonwatt:theme'));
    });
  });
})();
