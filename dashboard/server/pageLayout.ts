import type { DashboardAssets } from './dashboardAssets.js';
import type { DashboardStrings } from './dashboardStrings.js';
import { html, jsonForScript, toHtmlString, type RawHtml } from './html.js';

/**
 * The frame every dashboard page shares: language, theme (light, dark or the
 * device's choice), skip link, header navigation and footer. Pages pass their
 * main content; scripts are optional enhancements loaded with `defer`.
 */

export type PageId = 'residents' | 'about' | 'kiosk' | 'signIn' | 'volunteer' | 'group' | 'notFound';

export interface PageOptions {
  strings: DashboardStrings;
  assets: DashboardAssets;
  page: PageId;
  title: string;
  main: RawHtml;
  /** Asset names of the page's scripts (besides the theme script). */
  scripts?: string[];
  styles?: string[];
  /** Data for the page's script, as JSON in #page-data. */
  data?: unknown;
  /** The kiosk has no header or footer. */
  bare?: boolean;
  neighbourhoodName: string;
}

export function renderPage(options: PageOptions): string {
  const { strings: s, assets } = options;
  const nav = (page: PageId, href: string, label: string) =>
    html`<a href="${href}"${page === options.page ? html` aria-current="page"` : ''}>${label}</a>`;
  const signedInPage = options.page === 'volunteer' || options.page === 'group';
  const header = html`<header class="site-header">
  <a class="site-name" href="/"><img src="${assets.url('icon.svg')}" alt="" width="28" height="28"> ${options.neighbourhoodName}</a>
  <nav aria-label="${s.t('common.navLabel')}">
    ${nav('residents', '/', s.t('common.navToday'))}
    ${nav('about', '/about', s.t('common.navAbout'))}
    ${signedInPage ? [nav('volunteer', '/volunteer', s.t('common.navVolunteer')), nav('group', '/group', s.t('common.navGroup'))] : ''}
  </nav>
  <button type="button" class="theme-toggle" data-theme-toggle hidden aria-pressed="false">${s.t('common.themeToggleShort')}</button>
</header>`;
  const footer = html`<footer class="site-footer">
  <p>${s.t('common.footerPrivacy')} <a href="/about">${s.t('common.footerAboutLink')}</a></p>
  <p><a href="/kiosk">${s.t('common.footerKiosk')}</a> · <a href="/sign-in">${s.t('common.footerSignIn')}</a> · ${s.t('common.footerSoftware')}</p>
</footer>`;

  return `<!doctype html>${toHtmlString(html`<html lang="${s.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${options.title} · ${options.neighbourhoodName}</title>
<link rel="icon" href="${assets.url('icon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assets.url('dashboard.css')}">
${(options.styles ?? []).map((name) => html`<link rel="stylesheet" href="${assets.url(name)}">`)}
<script src="${assets.url('theme.js')}"></script>
${(options.scripts ?? []).map((name) => html`<script src="${assets.url(name)}" defer></script>`)}
</head>
<body class="page-${options.page}">
${options.bare ? '' : html`<a class="skip-link" href="#main">${s.t('common.skipToContent')}</a>${header}`}
<main id="main" tabindex="-1">
${options.main}
</main>
${options.bare ? '' : footer}
${options.data === undefined ? '' : html`<script type="application/json" id="page-data">${jsonForScript(options.data)}</script>`}
</body>
</html>`)}`;
}
