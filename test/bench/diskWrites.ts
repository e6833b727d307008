import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hubSettingsSchema } from '../../hub/config/hubSettings.js';
import { benchMeters, seedLastReadings, writeBenchRegistry } from './benchMeters.js';
import { fmt, verdict, type Benchmark, type BenchOutcome, type BenchSize } from './benchResult.js';
import { benchSize } from './benchSize.js';
import { startHubProcess } from './hubProcess.js';
import { startMeterLoadProcess, type LoadPattern, type MeterLoadProcess } from './meterLoadProcess.js';
import { readDeviceWrittenBytes, readWriteBytes } from './procStats.js';
import { countStoredReadings } from './storedReadings.js';

/**
 * Bytes written to disk per reading (ARCHITECTURE.md target: ≤ 200 B in the
 * steady state of 200 meters every 10 s, all files counted).
 *
 * The figure is write_bytes of the hub process from /proc/<pid>/io over a
 * measured window, divided by the readings acked in it. write_bytes counts every
 * file the process writes (journal, SQLite database and its rollback journal,
 * registry), by page: appending 70 bytes to a clean page counts 4,096. It does
 * not count the file system's own journal (ext4's jbd2 writes for fdatasync
 * size changes), so the whole-device figure is shown beside it, for
 * information: it also holds anything else writing to that disk meanwhile.
 *
 * Steady state runs with the hub's default settings. Readings reach SQLite once
 * per flushIntervalMs (default 5 min), so the window is that long by default:
 * it then holds exactly one flush, of one interval's readings, which is the
 * long-run average. Flushes are seen as the journal file shrinking.
 */

interface Phase {
  label: string;
  seconds: number;
  acked: number;
  writeBytes: number;
  cancelledWriteBytes: number;
  deviceBytes: number | null;
  flushes: number;
  /** write_bytes in the 250 ms polls during which a flush emptied the journal. */
  flushBytes: number;
  maxJournalBytes: number;
  totalAcked: number;
  stored: number;
  errors: number;
  problems: string[];
}

export const diskWritesBenchmark: Benchmark = {
  name: 'diskWrites',
  title: 'Bytes written to disk per reading',
  async run(): Promise<BenchOutcome> {
    const sizes: BenchSize[] = [];
    const defaults = hubSettingsSchema.parse({});
    const meterCount = benchSize(sizes, 'BENCH_DISK_METERS', 200, 'meters (one MQTT connection each) in the steady state', { min: 1, max: 5000 });
    const intervalS = benchSize(sizes, 'BENCH_DISK_INTERVAL_S', 10, 'seconds between readings of one meter (meters spread evenly)', { min: 0.1 });
    const warmupS = benchSize(sizes, 'BENCH_DISK_WARMUP_S', 30, 'steady state: seconds after all meters connected, before the window');
    const steadyS = benchSize(sizes, 'BENCH_DISK_STEADY_S', defaults.flushIntervalMs / 1000, `steady state: measured seconds (default = the hub's flushIntervalMs, ${defaults.flushIntervalMs} ms)`, { min: 1 });
    const fullClients = benchSize(sizes, 'BENCH_DISK_FULL_CLIENTS', 100, 'full load: flooding clients (one meter each)', { min: 1, max: 5000 });
    const fullWarmupS = benchSize(sizes, 'BENCH_DISK_FULL_WARMUP_S', 5, 'full load: seconds before the window');
    const fullS = benchSize(sizes, 'BENCH_DISK_FULL_S', 20, 'full load: measured seconds', { min: 1 });
    const window = benchSize(sizes, 'BENCH_DISK_FULL_WINDOW', 64, 'full load: unacked QoS 1 publishes per client', { min: 1, max: 60_000 });
    const notes: string[] = [];

    const steady = await measurePhase({
      label: `steady: ${meterCount} meters, one reading each every ${intervalS} s`,
      meters: meterCount,
      pattern: { kind: 'pace', intervalMs: intervalS * 1000, indexBase: 0, fleetSize: meterCount },
      warmupS,
      measureS: steadyS,
    });
    console.log(`  diskWrites steady: ${fmt(steady.writeBytes / steady.acked, 1)} B/reading over ${fmt(steady.acked)} readings, ${steady.flushes} flush(es)`);
    const full = await measurePhase({
      label: `full load: ${fullClients} clients flooding, ${window} unacked each`,
      meters: fullClients,
      pattern: { kind: 'flood', window, stepMs: 100, readingsPerMeter: 200_000 },
      warmupS: fullWarmupS,
      measureS: fullS,
    });
    console.log(`  diskWrites full load: ${fmt(full.writeBytes / full.acked, 1)} B/reading over ${fmt(full.acked)} readings, ${full.flushes} flush(es)`);

    const phases = [steady, full];
    for (const p of phases) {
      if (p.stored < p.totalAcked) notes.push(`${p.label}: ${fmt(p.totalAcked)} readings acked but only ${fmt(p.stored)} stored.`);
      if (p.errors > 0) notes.push(`${p.label}: ${p.errors} publishes ended without a PUBACK.`);
      for (const problem of p.problems) notes.push(`${p.label}, hub log: ${problem}`);
    }
    if (steady.flushes !== 1) {
      notes.push(
        `The steady window saw ${steady.flushes} flushes to SQLite, not exactly one, so its figure ${steady.flushes === 0 ? 'leaves out' : 'over-counts'} the database's share; ` +
          `use a window equal to flushIntervalMs (${defaults.flushIntervalMs / 1000} s).`,
      );
    }
    notes.push(
      'Settings: the hub defaults (commitDelayMs ' +
        `${defaults.commitDelayMs}, commitBatch ${defaults.commitBatch}, flushIntervalMs ${defaults.flushIntervalMs}, flushBatch ${defaults.flushBatch}); nothing set in settings.json.`,
      'Each phase starts on a fresh data directory whose meters already have one stored reading, as meters that reported before.',
      'Stored readings were counted in the database after a clean stop (the `readings` figure of `commonwatt meters list`), over the whole phase including warm-up, minus the one seeded reading per meter.',
      'write_bytes is polled every 250 ms; the polls in which the journal was emptied hold the SQLite flush (and that quarter second of journal appends), which splits the figure into its journal and database parts.',
      'Device writes are the whole disk (/proc/diskstats) over the same window, `sync` run at both ends, so they include the ext4 journal, the hub\'s dirty pages written back at the end, and any other process writing meanwhile: meaningful only on an otherwise idle disk.',
    );

    return {
      sizes,
      rows: [
        {
          figure: `bytes written per reading, steady state (${meterCount} meters every ${intervalS} s), all files`,
          target: '≤ 200 B',
          measured: `${fmt(steady.writeBytes / steady.acked)} B (${fmt(steady.writeBytes)} B for ${fmt(steady.acked)} readings in ${fmt(steady.seconds)} s)`,
          verdict: verdict(steady.writeBytes / steady.acked <= 200),
        },
        {
          figure: `bytes written per reading, full load (${fullClients} clients flooding)`,
          target: '(none; for information)',
          measured: `${fmt(full.writeBytes / full.acked)} B (${fmt(full.acked)} readings, ${fmt(full.acked / full.seconds)} readings/s)`,
          verdict: 'info',
        },
      ],
      details: [
        {
          title: 'Phases',
          headers: [
            'phase',
            'window s',
            'readings acked in window',
            'write_bytes',
            'B/reading',
            'cancelled_write_bytes',
            'flushes to SQLite seen',
            'B/reading written in the polls holding a flush',
            'largest journal',
            'device writes B/reading (info)',
            'acked in phase',
            'stored after stop',
          ],
          rows: phases.map((p) => [
            p.label,
            fmt(p.seconds),
            fmt(p.acked),
            fmt(p.writeBytes),
            fmt(p.writeBytes / p.acked, 1),
            fmt(p.cancelledWriteBytes),
            String(p.flushes),
            fmt(p.flushBytes / p.acked, 1),
            `${fmt(p.maxJournalBytes)} B`,
            p.deviceBytes === null ? 'n/a' : fmt(p.deviceBytes / p.acked, 1),
            fmt(p.totalAcked),
            fmt(p.stored),
          ]),
        },
      ],
      notes,
    };
  },
};

/** Writes back every dirty page (sync(1)), so the device figure of a window holds neither older writes nor misses its own. */
function syncDisks(): void {
  try {
    execFileSync('sync');
  } catch {
    // Only the informational device figure suffers.
  }
}

async function measurePhase(options: { label: string; meters: number; pattern: LoadPattern; warmupS: number; measureS: number }): Promise<Phase> {
  const meters = await benchMeters(options.meters);
  const dataDir = await mkdtemp(join(tmpdir(), 'commonwatt-bench-disk-'));
  try {
    await writeBenchRegistry(dataDir, meters);
    // Established meters: one stored reading each, older than anything the phase sends.
    seedLastReadings(dataDir, meters, Date.now() - 60_000 - 200_000 * 100 - 7_200_000);
    const hub = await startHubProcess({ dataDir });
    let load: MeterLoadProcess | null = null;
    try {
      load = await startMeterLoadProcess({
        url: hub.mqttUrl,
        meters: meters.map((m) => ({ meterId: m.meterId, password: m.password })),
        pattern: options.pattern,
        maxDurationMs: (options.warmupS + options.measureS) * 1000 + 180_000,
      });
      const journal = join(dataDir, 'readings.journal');
      const journalSize = () => {
        try {
          return statSync(journal).size;
        } catch {
          return 0;
        }
      };
      load.go();
      await sleep(options.warmupS * 1000);
      syncDisks();
      const before = await load.mark();
      const io0 = readWriteBytes(hub.pid);
      const dev0 = readDeviceWrittenBytes(dataDir);
      const t0 = performance.now();
      let flushes = 0;
      let flushBytes = 0;
      let maxJournalBytes = 0;
      let lastSize = journalSize();
      let lastWritten = io0.writeBytes;
      const end = t0 + options.measureS * 1000;
      while (performance.now() < end) {
        await sleep(Math.min(250, Math.max(0, end - performance.now())));
        const size = journalSize();
        const written = readWriteBytes(hub.pid).writeBytes;
        if (size < lastSize) {
          // The journal was emptied: readings went to SQLite in this quarter second.
          flushes++;
          flushBytes += written - lastWritten;
        }
        maxJournalBytes = Math.max(maxJournalBytes, size);
        lastSize = size;
        lastWritten = written;
      }
      const after = await load.mark();
      const io1 = readWriteBytes(hub.pid);
      syncDisks();
      const dev1 = readDeviceWrittenBytes(dataDir);
      const t1 = performance.now();
      const final = await load.stop();
      load = null;
      const exitCode = await hub.stop();
      const problems = [...hub.problems];
      if (exitCode !== 0) problems.push(`the hub exited with code ${exitCode} at stop`);
      return {
        label: options.label,
        seconds: (t1 - t0) / 1000,
        acked: after.acked - before.acked,
        writeBytes: io1.writeBytes - io0.writeBytes,
        cancelledWriteBytes: io1.cancelledWriteBytes - io0.cancelledWriteBytes,
        deviceBytes: dev0 === null || dev1 === null ? null : dev1 - dev0,
        flushes,
        flushBytes,
        maxJournalBytes,
        totalAcked: final.acked,
        stored: countStoredReadings(dataDir) - meters.length,
        errors: final.errors,
        problems,
      };
    } finally {
      await load?.stop().catch(() => {});
      await hub.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
