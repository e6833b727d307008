import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub } from '../../hub/hub.js';
import { createLogger } from '../../hub/log/createLogger.js';
import { createLocalCalendar } from '../../hub/rollups/localTime.js';
import { openReleasedFigures, type DecidedFigure } from '../../hub/publication/releasedFigures.js';
import { METRICS } from '../../hub/publication/publicationTypes.js';
import { fmt, verdict, type Benchmark, type BenchOutcome, type BenchSize } from './benchResult.js';
import { benchSize } from './benchSize.js';
import { startHubProcess } from './hubProcess.js';
import { readCpuMs } from './procStats.js';

/**
 * The public surfaces of a hub holding a year of released daily figures
 * (ARCHITECTURE.md targets): the public API's answer for a year of daily
 * figures (p95 ≤ 20 ms), the residents' page and everything it loads on the
 * wire, compressed (≤ 100 KB), and the hub's CPU while nothing arrives (~0),
 * alone and with a screen holding the live stream open.
 *
 * The policy is adopted on the record by an in-process hub whose clock is set a
 * year back; the year of figures is then written into released.sqlite directly
 * (what the publication engine would have released), and the built hub serves
 * them from dist/.
 */

const DAY_MS = 86_400_000;

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; bytes: number; encoding: string | null; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: response.statusCode ?? 0, bytes: body.length, encoding: (response.headers['content-encoding'] as string | undefined) ?? null, body });
      });
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

export const dashboardBenchmark: Benchmark = {
  name: 'dashboard',
  title: 'Public API, dashboard page weight and idle CPU',
  async run(): Promise<BenchOutcome> {
    const sizes: BenchSize[] = [];
    const days = benchSize(sizes, 'BENCH_DASHBOARD_DAYS', 365, 'days of released daily figures (four metrics, the whole neighbourhood)', { min: 1 });
    const requests = benchSize(sizes, 'BENCH_DASHBOARD_REQUESTS', 500, 'timed requests per route, one at a time, after 50 to warm up', { min: 10 });
    const idleSeconds = benchSize(sizes, 'BENCH_DASHBOARD_IDLE_S', 60, 'seconds of CPU measured while nothing arrives', { min: 5 });
    const notes: string[] = [];
    const dataDir = await mkdtemp(join(tmpdir(), 'commonwatt-bench-dashboard-'));
    try {
      const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      const calendar = createLocalCalendar(timeZone);
      const today = calendar.dayKey(Date.now());
      const first = calendar.dayKey(calendar.dayBounds(today).start - days * DAY_MS);
      let now = calendar.dayBounds(first).start - DAY_MS + 3_600_000;
      const hub = await startHub({ dataDir, logger: createLogger({ level: 'silent' }), clock: { now: () => now }, settings: { mqttPort: 0, httpPort: 0, host: '127.0.0.1' } });
      // Households (without meters) so the proposal passes the group check; their figures are written below.
      for (let i = 0; i < 20; i++) await hub.commands.addHousehold({ label: `Bench household ${i + 1}` });
      const proposing = hub.governanceCommands.propose(
        {
          title: 'Daily neighbourhood energy',
          purpose: 'Benchmark',
          metrics: [...METRICS],
          groups: { neighbourhood: true, zones: [] },
          resolution: { neighbourhood: 'day' },
          audience: { tier: 'open' },
          discussion: { whatIsItFor: 'a', whoCouldBeAffected: 'b', whatIsNotOk: 'c', whereWillItGo: 'd' },
        },
        'bench',
      );
      const { proposalId } = await proposing.catch(async (error: unknown) => {
        await hub.stop();
        throw error;
      });
      await hub.governanceCommands.decide(
        { proposalId, outcome: 'adopted', date: calendar.dayKey(now), meeting: 'bench', present: ['bench'], votes: { for: 1, against: 0, abstaining: 0 }, decidedBy: 'bench', rationale: 'bench', effectiveFrom: first },
        'bench',
      );
      await hub.stop();
      now = Date.now();

      const released = openReleasedFigures(dataDir);
      const figures: DecidedFigure[] = [];
      for (let day = first, i = 0; day < today; day = calendar.dayKey(calendar.dayBounds(day).end), i++) {
        const { start, end } = calendar.dayBounds(day);
        for (const metric of METRICS) {
          const totalWh = 100_000 + ((i * 7919 + metric.length * 104_729) % 400_000);
          figures.push({ policyId: proposalId, audience: 'open', groupId: 'neighbourhood', metric, resolution: 'day', periodStart: start, periodEnd: end, day, decision: { released: true, totalWh, meanWh: Math.round(totalWh / 20), householdsAtLeast: 20 }, completenessPercent: 95, decidedAt: end + DAY_MS });
        }
      }
      released.record(figures);
      released.close();

      const server = await startHubProcess({ dataDir });
      try {
        const base = `http://127.0.0.1:${server.httpPort}`;
        const timed = async (path: string) => {
          for (let i = 0; i < 50; i++) await get(base + path);
          const ms: number[] = [];
          let bytes = 0;
          for (let i = 0; i < requests; i++) {
            const t0 = performance.now();
            const answer = await get(base + path);
            ms.push(performance.now() - t0);
            if (answer.status !== 200) throw new Error(`${path}: HTTP ${answer.status}`);
            bytes = answer.bytes;
          }
          return { p50: percentile(ms, 50), p95: percentile(ms, 95), bytes };
        };
        const yearPath = `/api/public/figures?group=neighbourhood&metric=generation&resolution=day&from=${first}`;
        const year = await timed(yearPath);
        const csv = await timed(`${yearPath}&format=csv`);
        const page = await timed('/');
        const summary = await timed('/api/public/summary');
        const kiosk = await timed('/kiosk');

        // The residents' page and what it loads, as a browser asks for them.
        const html = (await get(`${base}/`)).body.toString('utf8');
        const assets = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
        const transfers: Array<[string, number, string | null]> = [];
        for (const path of ['/', ...new Set(assets)]) {
          const answer = await get(base + path, { 'accept-encoding': 'br, gzip' });
          transfers.push([path.split('?')[0]!, answer.bytes, answer.encoding]);
        }
        const pageBytes = transfers.reduce((sum, [, bytes]) => sum + bytes, 0);

        // CPU while nothing arrives: alone, then with one screen on the live stream.
        const idle = async () => {
          const cpu0 = readCpuMs(server.pid);
          await new Promise((r) => setTimeout(r, idleSeconds * 1000));
          return ((readCpuMs(server.pid) - cpu0) / idleSeconds) * 60;
        };
        await new Promise((r) => setTimeout(r, 2000));
        const idleAlone = await idle();
        const stream = await fetch(`${base}/api/public/events`);
        const idleWithScreen = await idle();
        await stream.body?.cancel();

        notes.push(
          `Latency is measured from this process over loopback, one request at a time: Fastify's routing, the SQLite query, JSON or HTML and compression (for the page, brotli at quality 4 when asked; these requests did not ask, so the times are without compression).`,
          `CPU time comes from /proc in 10 ms ticks, so one tick in a minute shows as 10 ms; the kiosk's cost is its server-sent ping every 20 s (and the live solar check, when the group turned it on).`,
          `The page weight counts compressed bodies as a browser receives them (accept-encoding: br, gzip), without HTTP headers; the browser test (test/dashboard/publicDashboard.test.ts) counts headers too and logs its figure.`,
        );
        return {
          sizes,
          rows: [
            { figure: `public API answer for a year of daily figures (${days} figures), p95`, target: '≤ 20 ms', measured: `${fmt(year.p95, 2)} ms (p50 ${fmt(year.p50, 2)} ms, ${fmt(year.bytes / 1024, 1)} KB)`, verdict: verdict(year.p95 <= 20) },
            { figure: 'public dashboard page, compressed transfer (page and everything it loads)', target: '≤ 100 KB', measured: `${fmt(pageBytes / 1024, 1)} KB`, verdict: verdict(pageBytes <= 100 * 1024) },
            { figure: 'hub CPU when nothing arrives', target: '~0 (no polling loops)', measured: `${fmt(idleAlone, 1)} ms of CPU per minute`, verdict: verdict(idleAlone < 100) },
            { figure: 'hub CPU when nothing arrives, one kiosk on the live stream', target: 'small', measured: `${fmt(idleWithScreen, 1)} ms of CPU per minute`, verdict: 'info' },
          ],
          details: [
            {
              title: 'Answer times, one request at a time after warm-up',
              headers: ['route', 'p50 ms', 'p95 ms', 'body bytes (uncompressed)'],
              rows: [
                [yearPath.replace(first, '<a year ago>'), fmt(year.p50, 2), fmt(year.p95, 2), fmt(year.bytes)],
                ['the same as CSV', fmt(csv.p50, 2), fmt(csv.p95, 2), fmt(csv.bytes)],
                ['/ (residents\' view, rendered)', fmt(page.p50, 2), fmt(page.p95, 2), fmt(page.bytes)],
                ['/kiosk', fmt(kiosk.p50, 2), fmt(kiosk.p95, 2), fmt(kiosk.bytes)],
                ['/api/public/summary', fmt(summary.p50, 2), fmt(summary.p95, 2), fmt(summary.bytes)],
              ],
            },
            { title: "The residents' view on the wire", headers: ['file', 'bytes', 'encoding'], rows: transfers.map(([path, bytes, encoding]) => [path, fmt(bytes), encoding ?? 'none']) },
          ],
          notes,
        };
      } finally {
        await server.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
