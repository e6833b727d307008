import type { FastifyInstance, FastifyReply } from 'fastify';
import { METRICS, type Metric } from './publicationTypes.js';
import type { PublishedResolution } from './householdFigures.js';
import type { PublicFigure, ReleasedFigures } from './releasedFigures.js';

/**
 * Public HTTP surfaces of released figures (ARCHITECTURE.md "HTTP"): every
 * route reads released aggregates only, never readings, households or meters.
 * Routes:
 * - GET /api/public/groups: the published groups with their metrics and resolutions
 * - GET /api/public/figures?group&metric&resolution&from&to[&format=csv]
 * - GET /api/public/policy: the policy in force and the decision log
 * - GET /api/public/export/figures.csv and /api/public/export/datapackage.json
 * - GET /api/shared/figures (Authorization: Bearer <partner token>): the shared tier
 */

export interface PublishedGroup {
  id: string;
  label: string;
  metrics: readonly Metric[];
  resolutions: readonly PublishedResolution[];
}

/** A policy in force as the public sees it: no discussion notes, no names. */
export interface PublicPolicy {
  proposalId: string;
  title: string;
  purpose: string;
  audience: { tier: 'open' } | { tier: 'shared'; partner: string; purpose: string; expires: string };
  metrics: readonly Metric[];
  groups: { neighbourhood: boolean; zones: readonly string[] };
  resolution: { neighbourhood: PublishedResolution; zones: string };
  delayDays: number;
  rules: { k: number; dominancePercent: number; pPercent: number };
  liveGeneration: boolean;
  licence: string;
  effectiveFrom: string;
}

/** A decision in the public log; `present` only where the group chose to publish names. */
export interface PublicDecision {
  id: string;
  proposalId: string;
  /** The title of the proposal decided on. */
  proposalTitle: string | null;
  outcome: 'adopted' | 'rejected';
  date: string;
  meeting: string;
  decidedBy: string;
  votes: { for: number; against: number; abstaining: number };
  rationale: string;
  effectiveFrom: string;
  present?: readonly string[];
}

export interface PublicPolicyView {
  inForce: PublicPolicy[];
  decisions: PublicDecision[];
  licence: string;
  rules: string;
}

export interface PublicSurfaceSources {
  released: ReleasedFigures;
  /** Groups the open tier publishes now. */
  publishedGroups(): PublishedGroup[];
  policyView(): PublicPolicyView;
  /** The audience a partner token grants, or null (unknown or expired token). */
  partnerAudience(token: string): string | null;
  licence(): string;
}

const RESOLUTIONS: readonly PublishedResolution[] = ['30min', 'hour', 'day'];
const CSV_COLUMNS = ['group', 'metric', 'resolution', 'periodStart', 'periodEnd', 'day', 'totalWh', 'householdsAtLeast', 'completenessPercent'] as const;

class BadQuery extends Error {}

function parseQuery(query: Record<string, string | undefined>, groups: PublishedGroup[]) {
  const group = query.group ?? 'neighbourhood';
  const published = groups.find((g) => g.id === group);
  if (!published) throw new BadQuery(`group "${group}" is not published; published groups: ${groups.map((g) => g.id).join(', ') || 'none yet'}`);
  const metric = (query.metric ?? published.metrics[0]) as Metric;
  if (!METRICS.includes(metric) || !published.metrics.includes(metric)) {
    throw new BadQuery(`metric "${query.metric}" is not published for ${group}; published: ${published.metrics.join(', ')}`);
  }
  const resolution = (query.resolution ?? published.resolutions[0]) as PublishedResolution;
  if (!RESOLUTIONS.includes(resolution) || !published.resolutions.includes(resolution)) {
    throw new BadQuery(`resolution "${query.resolution}" is not published for ${group}; published: ${published.resolutions.join(', ')} (finer figures are never published)`);
  }
  const time = (name: 'from' | 'to') => {
    const raw = query[name];
    if (raw === undefined) return undefined;
    const t = Date.parse(raw);
    if (Number.isNaN(t)) throw new BadQuery(`${name}: "${raw}" is not a date; use ISO 8601, e.g. 2026-11-01`);
    return t;
  };
  return { groupId: group, metric, resolution, from: time('from'), to: time('to') };
}

export function figuresCsv(figures: readonly PublicFigure[]): string {
  const escape = (v: unknown) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  return [CSV_COLUMNS.join(','), ...figures.map((f) => CSV_COLUMNS.map((c) => escape(f[c])).join(','))].join('\n') + '\n';
}

export function registerPublicSurfaces(app: FastifyInstance, sources: PublicSurfaceSources): void {
  const fail = (reply: FastifyReply, error: unknown) => {
    if (error instanceof BadQuery) return reply.status(400).send({ error: error.message });
    throw error;
  };

  app.get('/api/public/groups', async () => ({ groups: sources.publishedGroups(), licence: sources.licence() }));

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/public/figures', async (request, reply) => {
    try {
      const q = parseQuery(request.query, sources.publishedGroups());
      const figures = sources.released.released({ audience: 'open', ...q, limit: 20_000 });
      if (request.query.format === 'csv') return reply.type('text/csv; charset=utf-8').send(figuresCsv(figures));
      return { licence: sources.licence(), figures };
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.get('/api/public/policy', async () => sources.policyView());

  app.get('/api/public/export/figures.csv', async (_request, reply) =>
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="commonwatt-figures.csv"')
      .send(figuresCsv(sources.released.released({ audience: 'open' }))),
  );

  app.get('/api/public/export/datapackage.json', async () => {
    const policy = sources.policyView();
    return {
      profile: 'tabular-data-package',
      name: 'commonwatt-neighbourhood-energy',
      title: 'Neighbourhood energy figures',
      description:
        'Energy generated, imported, exported and consumed by the neighbourhood and its zones, as released by the community group. ' +
        'Figures are sums over households; a figure is published only if it passes the disclosure rules below, and never changes once released.',
      licenses: [{ name: sources.licence(), path: sources.licence() === 'CC-BY-4.0' ? 'https://creativecommons.org/licenses/by/4.0/' : undefined }],
      sources: [{ title: 'Commonwatt hub: household energy meters, aggregated' }],
      commonwattMethod: {
        rules: policy.rules,
        units: 'Wh (watt-hours); periods in UTC ISO 8601 with local day keys',
        householdCounts: 'rounded down to a multiple of 5 (e.g. 10 means "10 or more"); no mean is published, as total ÷ mean would give the exact count',
        completeness: 'share of households whose meters covered the whole period, rounded down to 5 %',
      },
      resources: [
        {
          name: 'figures',
          path: 'figures.csv',
          format: 'csv',
          mediatype: 'text/csv',
          schema: {
            fields: [
              { name: 'group', type: 'string', description: '"neighbourhood" or "zone:<name>"' },
              { name: 'metric', type: 'string', constraints: { enum: [...METRICS] } },
              { name: 'resolution', type: 'string', constraints: { enum: [...RESOLUTIONS] } },
              { name: 'periodStart', type: 'datetime' },
              { name: 'periodEnd', type: 'datetime' },
              { name: 'day', type: 'date', description: 'local day of daily figures' },
              { name: 'totalWh', type: 'integer' },
              { name: 'householdsAtLeast', type: 'integer' },
              { name: 'completenessPercent', type: 'integer' },
            ],
          },
        },
      ],
    };
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/shared/figures', async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const audience = token ? sources.partnerAudience(token) : null;
    if (!audience) return reply.status(401).send({ error: 'missing, unknown or expired partner token; ask the group for a token under a recorded decision' });
    const figures = sources.released.released({ audience, limit: 50_000 });
    if (request.query.format === 'csv') return reply.type('text/csv; charset=utf-8').send(figuresCsv(figures));
    return { audience, figures };
  });
}

/** Retained public MQTT topic for a released figure: commonwatt/public/{group}/{metric}/{resolution}. */
export function publicTopic(groupId: string, metric: Metric, resolution: PublishedResolution): string {
  const slug = groupId === 'neighbourhood' ? 'neighbourhood' : `zone/${groupId.slice('zone:'.length).toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return `commonwatt/public/${slug}/${metric}/${resolution}`;
}
