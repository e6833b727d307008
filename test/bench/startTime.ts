import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hubSettingsSchema } from '../../hub/config/hubSettings.js';
import { benchMeters, writeBenchRegistry } from './benchMeters.js';
import { fmt, median, verdict, type Benchmark, type BenchOutcome, type BenchSize } from './benchResult.js';
import { benchSize } from './benchSize.js';
import { startHubProcess } from './hubProcess.js';
import { readCpuMs, readMachineBusyMs } from './procStats.js';
import { generateYearOfReadings } from './yearOfReadings.js';

/**
 * Hub start time with a year of data for 200 meters (ARCHITECTURE.md target:
 * ≤ 2 s): from spawning `commonwatt start` to its "ready" log line (logged at
 * info level, so these hubs run at info), with the file cache warm.
 *
 * The data directory is what a hub that ran for a year holds after retention
 * (yearOfReadings.ts): raw readings with all rollups for the raw retention
 * period, hour and day rollups before it. Real meters read every 10 s, ~60 M
 * raw rows for 35 days and 200 meters, too slow to generate here; the raw
 * interval is BENCH_START_RAW_INTERVAL_S (60 s by default, ~10 M rows).
 * The first start is reported apart from the median of the later ones: its
 * retention run deletes the raw rows that aged past retention while the data
 * was generated.
 */

export const startTimeBenchmark: Benchmark = {
  name: 'startTime',
  title: 'Hub start time with a year of data',
  async run(): Promise<BenchOutcome> {
    const sizes: BenchSize[] = [];
    const defaults = hubSettingsSchema.parse({});
    const meterCount = benchSize(sizes, 'BENCH_START_METERS', 200, 'meters with history', { min: 1, max: 10_000 });
    const historyDays = benchSize(sizes, 'BENCH_START_HISTORY_DAYS', 365, 'days of history', { min: 1 });
    const rawDays = benchSize(sizes, 'BENCH_START_RAW_DAYS', defaults.rawRetentionDays, "days of raw readings at the raw interval (the hub's rawRetentionDays)", { min: 0.01 });
    const rawIntervalS = benchSize(sizes, 'BENCH_START_RAW_INTERVAL_S', 60, 'seconds between generated raw readings (real meters: 10)', { min: 1 });
    const runs = benchSize(sizes, 'BENCH_START_RUNS', 3, 'timed starts after the first', { min: 1, max: 50 });
    const retries = benchSize(sizes, 'BENCH_START_RETRIES', 2, 'times a start is measured again when other processes took CPU while it ran');
    const maxOtherCores = benchSize(sizes, 'BENCH_START_MAX_OTHER_CPU', 0.25, 'CPU (in cores) other processes may take during a start before it is measured again');
    const notes: string[] = [];

    const meters = await benchMeters(meterCount);
    const dataDir = await mkdtemp(join(tmpdir(), 'commonwatt-bench-start-'));
    try {
      await writeBenchRegistry(dataDir, meters);
      const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone; // what the hub uses without settings.json
      const data = generateYearOfReadings({ dataDir, meterIds: meters.map((m) => m.meterId), timeZone, historyDays, rawDays, rawIntervalS });
      console.log(`  startTime: generated ${fmt(data.rawReadings)} readings and ${fmt(data.hourRows)} hour rollups in ${fmt(data.seconds)} s (${fmt(data.fileBytes / 2 ** 20)} MiB)`);

      const starts: Array<{ readyMs: number; deleted: unknown; stopMs: number; otherCores: number }> = [];
      const discarded: Array<{ readyMs: number; otherCores: number }> = [];
      for (let i = 0; i <= runs; i++) {
        for (let attempt = 1; ; attempt++) {
          const machine0 = readMachineBusyMs();
          const self0 = readCpuMs(process.pid);
          const hub = await startHubProcess({ dataDir, logLevel: 'info' });
          // CPU the rest of the machine used while this hub started, in cores.
          const otherCores = Math.max(0, readMachineBusyMs() - machine0 - readCpuMs(hub.pid) - (readCpuMs(process.pid) - self0)) / hub.readyMs;
          const retention = hub.logLines.find((line) => line.msg === 'retention run');
          const stopStarted = performance.now();
          const exitCode = await hub.stop();
          const stopMs = performance.now() - stopStarted;
          if (exitCode !== 0) notes.push(`Start ${i + 1}: the hub exited with code ${exitCode} at stop.`);
          for (const p of hub.problems) notes.push(`start ${i + 1}, hub log: ${p}`);
          console.log(`  startTime start ${i + 1}: ready after ${fmt(hub.readyMs)} ms (other processes used ${fmt(otherCores, 2)} cores meanwhile)`);
          // The first start is kept whatever happened: its retention run cannot be repeated.
          if (i === 0 || otherCores <= maxOtherCores || attempt > retries) {
            starts.push({ readyMs: hub.readyMs, deleted: retention?.deleted ?? null, stopMs, otherCores });
            break;
          }
          discarded.push({ readyMs: hub.readyMs, otherCores });
        }
      }
      const first = starts[0]!;
      const later = starts.slice(1);
      const typical = median(later.map((s) => s.readyMs));

      notes.push(
        `Generated for ${fmt(meterCount)} meters: ${fmt(data.rawReadings)} raw readings every ${fmt(rawIntervalS)} s from ${new Date(data.rawFrom).toISOString()} ` +
          `to ${new Date(data.to).toISOString()} through the hub's openReadingDatabase().store() (transactions of 500 readings per meter), which built their 5-minute, hour and day rollups; ` +
          `before that, from ${new Date(data.from).toISOString()}, ${fmt(data.hourRows)} hour rollup rows and ${fmt(data.dayRows)} day rollup rows inserted with SQL in the hub's schema (no raw readings or 5-minute rows, as retention leaves them). ` +
          `Took ${fmt(data.seconds)} s; readings.sqlite was ${fmt(data.fileBytes / 2 ** 20)} MiB. Registry: ${fmt(meterCount)} meters with real scrypt-hashed secrets.`,
        `Time zone ${timeZone}. Starts are with a warm file cache (the data was just written); a cold SD card would be slower.`,
        'Ready time = spawn of `node dist/hub/cli/main.js start` to its "ready" log line, so it includes Node start-up and module loading.',
      );
      if (discarded.length > 0) {
        notes.push(
          `${discarded.length} starts were measured again because other processes took more than ${fmt(maxOtherCores, 2)} cores while they ran ` +
            `(${discarded.map((d) => `${fmt(d.readyMs)} ms with ${fmt(d.otherCores, 2)} cores taken`).join('; ')}).`,
        );
      }
      if (starts.some((s) => s.otherCores > maxOtherCores)) {
        notes.push(`Some starts kept (column "other processes CPU") still shared the machine with other work after ${retries} retries; they are slower than on an idle machine.`);
      }

      return {
        sizes,
        rows: [
          {
            figure: `hub start with a year of data for ${fmt(meterCount)} meters (median of ${runs} starts after the first)`,
            target: '≤ 2 s',
            measured: `${fmt(typical / 1000, 2)} s`,
            verdict: verdict(typical <= 2000),
          },
          {
            figure: 'first start on the generated data (its retention run deletes the readings that aged out while generating)',
            target: '(for information; ≤ 2 s)',
            measured: `${fmt(first.readyMs / 1000, 2)} s`,
            verdict: 'info',
          },
        ],
        details: [
          {
            title: 'Starts',
            headers: ['start', 'ready after ms', 'retention deleted (readings, 5-min, hours, days)', 'clean stop took ms', 'other processes CPU meanwhile (cores)'],
            rows: starts.map((s, i) => [
              i === 0 ? '1 (first)' : String(i + 1),
              fmt(s.readyMs),
              s.deleted && typeof s.deleted === 'object' ? Object.values(s.deleted as Record<string, number>).map((n) => fmt(n)).join(', ') : 'not logged',
              fmt(s.stopMs),
              fmt(s.otherCores, 2),
            ]),
          },
        ],
        notes,
      };
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
