import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../hub/config/clock.js';
import type { LocalCalendar } from '../../hub/rollups/localTime.js';
import type { PublicSurfaceSources } from '../../hub/publication/publicSurfaces.js';
import { renderAboutMain } from './aboutPage.js';
import { createDashboardFormat } from './dashboardFormat.js';
import type { DashboardAssets } from './dashboardAssets.js';
import type { DashboardStrings } from './dashboardStrings.js';
import { html, toHtmlString } from './html.js';
import { renderKioskMain, renderKioskPanels } from './kioskPage.js';
import { renderPage } from './pageLayout.js';
import { computePublicSummary, type HistoryScale, type PublicSummary } from './publicSummary.js';
import { HISTORY_SCALES, renderResidentsFigures, renderResidentsMain } from './residentsPage.js';
import { createLiveEvents } from './liveEvents.js';
import type { LiveGeneration } from '../../hub/publication/liveGeneration.js';
import type { Logger } from '../../hub/log/createLogger.js';

/**
 * The public dashboard's routes, all in one place. Every page and fragment is
 * rendered from released figures and the public policy view only.
 * - GET /                    residents' view (`?history=day|week|month|year`)
 * - GET /kiosk               the community-centre screen
 * - GET /about               about our data: policy, decisions, licence, joining and leaving
 * - GET /partials/figures    the residents' figures alone, for live updates
 * - GET /partials/kiosk      the kiosk's panels alone
 * - GET /api/public/summary  the same figures as JSON (history for the charts)
 * - GET /api/public/live/generation  "solar generation now" and today so far, when the group turned it on (404 otherwise)
 * - GET /api/public/events   server-sent events: `released` when new figures are out, `live` when the live
 *                            solar figure changed (at most once a minute), `ping` to show the link is alive
 * - GET /assets/:name        stylesheet, scripts, uPlot
 */
export const DASHBOARD_ROUTES = {
  residents: '/',
  kiosk: '/kiosk',
  about: '/about',
  figuresPartial: '/partials/figures',
  kioskPartial: '/partials/kiosk',
  summary: '/api/public/summary',
  events: '/api/public/events',
  liveGeneration: '/api/public/live/generation',
  asset: '/assets/:name',
} as const;

export interface DashboardOptions {
  sources: PublicSurfaceSources;
  calendar: LocalCalendar;
  clock: Clock;
  strings: DashboardStrings;
  assets: DashboardAssets;
  neighbourhoodName: string;
  co2GramsPerKwh: number;
  contact: string;
  /** Calls back whenever the publication engine has released figures; returns an unsubscribe. */
  onReleased(listener: () => void): () => void;
  /** "Solar generation now"; shown only while a policy in force turns it on. */
  live?: LiveGeneration;
  logger: Logger;
  /** Seconds between `ping` events on the live stream. */
  pingSeconds?: number;
}

export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  // Everything the pages use comes from the hub itself; nothing from elsewhere may run.
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
} as const;

export function registerDashboard(app: FastifyInstance, options: DashboardOptions): void {
  const { strings, assets, clock, calendar } = options;
  const format = createDashboardFormat(strings, calendar.timeZone);

  // The summary reads up to a year of figures: computed once per release, decision and day, not per request.
  let cached: { key: string; summary: PublicSummary } | null = null;
  let releases = 0;
  const summary = (): PublicSummary => {
    const now = clock.now();
    const key = `${releases}|${options.sources.policyView().decisions.length}|${calendar.dayKey(now)}`;
    if (cached?.key !== key) cached = { key, summary: computePublicSummary({ sources: options.sources, calendar, now, co2GramsPerKwh: options.co2GramsPerKwh }) };
    return cached.summary;
  };
  const liveFigure = () => (options.live?.enabled() ? { figure: options.live.current() } : null);
  let lastLiveAt: string | null = null;
  const live = createLiveEvents({
    clock,
    pingSeconds: options.pingSeconds ?? 20,
    beforePing() {
      const now = liveFigure();
      const at = now?.figure?.at ?? null;
      if (now && at !== lastLiveAt) live.broadcast('live', now.figure);
      lastLiveAt = at;
    },
  });
  const unsubscribe = options.onReleased(() => {
    releases += 1;
    live.broadcast('released', { at: new Date(clock.now()).toISOString() });
  });
  // Before the server waits for open requests to finish: live streams never finish by themselves.
  app.addHook('preClose', async () => {
    unsubscribe();
    live.closeAll();
  });

  const page = (reply: FastifyReply, body: string) => reply.headers(PAGE_HEADERS).send(body);
  const log = options.logger.child({ module: 'dashboard' });
  // A page that fails to render answers with a page saying so, not with the API's JSON error.
  const pageRoute = {
    errorHandler(error: Error, request: FastifyRequest, reply: FastifyReply) {
      log.error({ err: error, url: request.url }, 'dashboard page failed to render');
      const body = renderPage({
        strings,
        assets,
        page: 'notFound',
        title: strings.t('common.errorTitle'),
        main: html`<h1>${strings.t('common.errorTitle')}</h1><p>${strings.t('common.errorServer')}</p><p><a href="/">${strings.t('common.navToday')}</a></p>`,
        neighbourhoodName: options.neighbourhoodName,
      });
      return page(reply.status(500), body);
    },
  };
  const today = () => calendar.dayKey(clock.now());
  const residentsView = (historyScale: HistoryScale) => {
    const now = liveFigure();
    const live = now ? { figure: now.figure, time: format.time(now.figure ? Date.parse(now.figure.at) : clock.now()) } : undefined;
    return { summary: summary(), strings, format, today: today(), historyScale, live };
  };
  const kioskView = () => ({ summary: summary(), strings, format, today: today(), now: clock.now(), neighbourhoodName: options.neighbourhoodName, live: liveFigure()?.figure });
  const scaleOf = (raw: string | undefined): HistoryScale => (HISTORY_SCALES.includes(raw as HistoryScale) ? (raw as HistoryScale) : 'day');

  app.get<{ Querystring: { history?: string } }>(DASHBOARD_ROUTES.residents, pageRoute, async (request, reply) => {
    const view = residentsView(scaleOf(request.query.history));
    return page(
      reply,
      renderPage({
        strings,
        assets,
        page: 'residents',
        title: strings.t('residents.title'),
        main: renderResidentsMain(view),
        scripts: ['uplot.js', 'liveLink.js', 'residents.js'],
        styles: ['uplot.css'],
        data: { history: view.summary.history, scale: view.historyScale, strings: strings.section('residents'), locale: strings.locale, timeZone: calendar.timeZone },
        neighbourhoodName: options.neighbourhoodName,
      }),
    );
  });

  app.get(DASHBOARD_ROUTES.figuresPartial, pageRoute, async (_request, reply) => page(reply, toHtmlString(renderResidentsFigures(residentsView('day')))));

  app.get(DASHBOARD_ROUTES.kiosk, pageRoute, async (_request, reply) =>
    page(
      reply,
      renderPage({
        strings,
        assets,
        page: 'kiosk',
        title: strings.t('kiosk.title'),
        main: renderKioskMain(kioskView()),
        scripts: ['liveLink.js', 'kiosk.js'],
        data: { strings: strings.section('kiosk'), locale: strings.locale, timeZone: calendar.timeZone },
        bare: true,
        neighbourhoodName: options.neighbourhoodName,
      }),
    ),
  );

  app.get(DASHBOARD_ROUTES.kioskPartial, pageRoute, async (_request, reply) => page(reply, toHtmlString(renderKioskPanels(kioskView()))));

  app.get(DASHBOARD_ROUTES.about, pageRoute, async (_request, reply) =>
    page(
      reply,
      renderPage({
        strings,
        assets,
        page: 'about',
        title: strings.t('about.title'),
        main: renderAboutMain({ policy: options.sources.policyView(), strings, format, contact: options.contact, co2GramsPerKwh: options.co2GramsPerKwh, neighbourhoodName: options.neighbourhoodName }),
        neighbourhoodName: options.neighbourhoodName,
      }),
    ),
  );

  app.get(DASHBOARD_ROUTES.summary, async (_request, reply) => reply.header('cache-control', 'no-cache').send(summary()));

  app.get(DASHBOARD_ROUTES.liveGeneration, async (_request, reply) => {
    const now = liveFigure();
    if (!now) return reply.status(404).send({ error: 'the group has not turned on the live "solar generation now" figure; daily figures are at /api/public/figures' });
    return reply.header('cache-control', 'no-cache').send(now.figure ?? { at: new Date(clock.now()).toISOString(), powerW: null, todayWh: null, householdsAtLeast: 0 });
  });

  app.get(DASHBOARD_ROUTES.events, (request, reply) => {
    reply.hijack();
    live.attach(request.raw, reply.raw);
  });

  app.get<{ Params: { name: string } }>(DASHBOARD_ROUTES.asset, async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) return reply.status(404).send({ error: `no asset "${request.params.name}"` });
    const etag = `"${asset.hash}"`;
    reply.header('etag', etag).header('content-type', asset.type).header('x-content-type-options', 'nosniff');
    // Page URLs carry the hash, so a versioned URL never changes.
    reply.header('cache-control', (request.query as { v?: string }).v === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (request.headers['if-none-match'] === etag) return reply.status(304).send();
    return reply.send(asset.body);
  });

  // A mistyped address gets a page a resident can act on; API clients keep getting JSON.
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (path.startsWith('/api/') || path === '/mqtt') return reply.status(404).send({ error: `no route ${request.method} ${path}; public routes are under /api/public/` });
    return page(
      reply.status(404),
      renderPage({
        strings,
        assets,
        page: 'notFound',
        title: strings.t('common.errorTitle'),
        main: html`<h1>${strings.t('common.errorTitle')}</h1><p>${strings.t('common.errorNotFound', { path })}</p><p><a href="/">${strings.t('common.navToday')}</a></p>`,
        neighbourhoodName: options.neighbourhoodName,
      }),
    );
  });

}
