import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { FigureDecision, Metric } from './publicationTypes.js';
import type { PublishedResolution } from './householdFigures.js';

/**
 * Every figure the publication engine has decided, released or suppressed, in
 * `released.sqlite`, kept for the life of the scheme. Decisions are final
 * (PRIVACY-RULES.md "Time and immutability"): triggers refuse any UPDATE or
 * DELETE, and a figure already decided is never decided again, so late data
 * can't change a published number. Suppression reasons are for the group's
 * eyes only; public readers get released rows and nothing else, and no mean:
 * total ÷ mean would give the exact household count that rounding hides.
 */

export interface DecidedFigure {
  policyId: string;
  audience: string;
  groupId: string;
  metric: Metric;
  resolution: PublishedResolution;
  periodStart: number;
  periodEnd: number;
  day: string | null;
  decision: FigureDecision;
  /** Share of eligible households whose data was complete, rounded down to 5 %. */
  completenessPercent: number;
  decidedAt: number;
}

export interface PublicFigure {
  group: string;
  metric: Metric;
  resolution: PublishedResolution;
  periodStart: string;
  periodEnd: string;
  day: string | null;
  totalWh: number;
  householdsAtLeast: number;
  completenessPercent: number;
}

export interface ReleasedFigures {
  record(figures: readonly DecidedFigure[]): number;
  /** End of the last decided period for a policy, group, metric and resolution. */
  decidedThrough(policyId: string, groupId: string, metric: Metric, resolution: PublishedResolution): number | null;
  released(query: { audience: string; groupId?: string; metric?: Metric; resolution?: PublishedResolution; from?: number; to?: number; limit?: number }): PublicFigure[];
  /** Counts for `publish status`: released and suppressed by rule. */
  summary(): { released: number; suppressed: Record<string, number>; lastDecidedAt: number | null };
  /** Suppressed figures with reasons, for the group's eyes. */
  suppressed(limit: number): Array<Omit<DecidedFigure, 'decision'> & { rule: string; reason: string }>;
  close(): void;
}

export function openReleasedFigures(dataDir: string): ReleasedFigures {
  const db = new Database(join(dataDir, 'released.sqlite'));
  db.pragma('journal_mode = PERSIST');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS figures (
      policy TEXT NOT NULL, audience TEXT NOT NULL, group_id TEXT NOT NULL, metric TEXT NOT NULL, resolution TEXT NOT NULL,
      period_start INTEGER NOT NULL, period_end INTEGER NOT NULL, day TEXT,
      released INTEGER NOT NULL, total_wh INTEGER, mean_wh INTEGER, households_at_least INTEGER,
      completeness_percent INTEGER NOT NULL, rule TEXT, reason TEXT, decided_at INTEGER NOT NULL,
      PRIMARY KEY (policy, group_id, metric, resolution, period_start)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS figures_public ON figures (audience, group_id, metric, resolution, period_start) WHERE released = 1;
    CREATE TRIGGER IF NOT EXISTS figures_never_change BEFORE UPDATE ON figures
      BEGIN SELECT RAISE(ABORT, 'a decided figure is never changed'); END;
    CREATE TRIGGER IF NOT EXISTS figures_never_deleted BEFORE DELETE ON figures
      BEGIN SELECT RAISE(ABORT, 'a decided figure is never deleted'); END;
  `);
  const insert = db.prepare(`INSERT OR IGNORE INTO figures VALUES (@policy, @audience, @groupId, @metric, @resolution, @periodStart, @periodEnd, @day,
    @released, @totalWh, @meanWh, @householdsAtLeast, @completenessPercent, @rule, @reason, @decidedAt)`);
  const record = db.transaction((figures: readonly DecidedFigure[]) => {
    let added = 0;
    for (const f of figures) {
      const d = f.decision;
      added += insert.run({
        policy: f.policyId,
        audience: f.audience,
        groupId: f.groupId,
        metric: f.metric,
        resolution: f.resolution,
        periodStart: f.periodStart,
        periodEnd: f.periodEnd,
        day: f.day,
        released: d.released ? 1 : 0,
        totalWh: d.released ? d.totalWh : null,
        meanWh: d.released ? d.meanWh : null,
        householdsAtLeast: d.released ? d.householdsAtLeast : null,
        completenessPercent: f.completenessPercent,
        rule: d.released ? null : d.rule,
        reason: d.released ? null : d.reason,
        decidedAt: f.decidedAt,
      }).changes;
    }
    return added;
  });
  const through = db.prepare<[string, string, string, string], { end: number | null }>(
    'SELECT max(period_end) AS end FROM figures WHERE policy = ? AND group_id = ? AND metric = ? AND resolution = ?',
  );

  return {
    record: (figures) => record(figures),
    decidedThrough: (policyId, groupId, metric, resolution) => through.get(policyId, groupId, metric, resolution)?.end ?? null,
    released(query) {
      const where = ['f.released = 1', 'f.audience = @audience'];
      if (query.groupId) where.push('f.group_id = @groupId');
      if (query.metric) where.push('f.metric = @metric');
      if (query.resolution) where.push('f.resolution = @resolution');
      if (query.from !== undefined) where.push('f.period_start >= @from');
      if (query.to !== undefined) where.push('f.period_start < @to');
      // One answer per figure: should two policies ever have released the same figure to an
      // audience (decisions now refuse that overlap), the first decided is the one shown.
      where.push(`NOT EXISTS (SELECT 1 FROM figures g WHERE g.released = 1 AND g.audience = f.audience AND g.group_id = f.group_id
        AND g.metric = f.metric AND g.resolution = f.resolution AND g.period_start = f.period_start
        AND (g.decided_at < f.decided_at OR (g.decided_at = f.decided_at AND g.policy < f.policy)))`);
      const rows = db
        .prepare<Record<string, unknown>, { group_id: string; metric: Metric; resolution: PublishedResolution; period_start: number; period_end: number; day: string | null; total_wh: number; mean_wh: number; households_at_least: number; completeness_percent: number }>(
          `SELECT f.group_id, f.metric, f.resolution, f.period_start, f.period_end, f.day, f.total_wh, f.mean_wh, f.households_at_least, f.completeness_percent
           FROM figures f WHERE ${where.join(' AND ')} ORDER BY f.group_id, f.metric, f.resolution, f.period_start LIMIT @limit`,
        )
        .all({ ...query, limit: query.limit ?? 100_000 });
      return rows.map((r) => ({
        group: r.group_id,
        metric: r.metric,
        resolution: r.resolution,
        periodStart: new Date(r.period_start).toISOString(),
        periodEnd: new Date(r.period_end).toISOString(),
        day: r.day,
        totalWh: r.total_wh,
        householdsAtLeast: r.households_at_least,
        completenessPercent: r.completeness_percent,
      }));
    },
    summary() {
      const released = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM figures WHERE released = 1').get()!.n;
      const suppressed: Record<string, number> = {};
      for (const row of db.prepare<[], { rule: string; n: number }>('SELECT rule, count(*) AS n FROM figures WHERE released = 0 GROUP BY rule').all()) suppressed[row.rule] = row.n;
      const last = db.prepare<[], { t: number | null }>('SELECT max(decided_at) AS t FROM figures').get()!.t;
      return { released, suppressed, lastDecidedAt: last };
    },
    suppressed(limit) {
      return db
        .prepare<[number], { policy: string; audience: string; group_id: string; metric: Metric; resolution: PublishedResolution; period_start: number; period_end: number; day: string | null; completeness_percent: number; rule: string; reason: string; decided_at: number }>(
          'SELECT * FROM figures WHERE released = 0 ORDER BY decided_at DESC, period_start DESC LIMIT ?',
        )
        .all(limit)
        .map((r) => ({
          policyId: r.policy,
          audience: r.audience,
          groupId: r.group_id,
          metric: r.metric,
          resolution: r.resolution,
          periodStart: r.period_start,
          periodEnd: r.period_end,
          day: r.day,
          completenessPercent: r.completeness_percent,
          decidedAt: r.decided_at,
          rule: r.rule,
          reason: r.reason,
        }));
    },
    close: () => db.close(),
  };
}
