import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchMeters, writeBenchRegistry } from './benchMeters.js';
import { fmt, verdict, type Benchmark, type BenchOutcome, type BenchSize } from './benchResult.js';
import { benchSize } from './benchSize.js';
import { startHubProcess } from './hubProcess.js';
import { startMeterLoadProcess, type MeterLoadProcess } from './meterLoadProcess.js';
import { readMemoryKb } from './procStats.js';
import { countStoredReadings } from './storedReadings.js';

/**
 * Hub resident memory with 1,000 meters each sending a reading every 10 s
 * (ARCHITECTURE.md target: ≤ 120 MB). One real MQTT connection per meter, with
 * its own credentials, from two load-generator processes; readings spread
 * evenly over the interval. The figure is VmHWM (peak RSS since the hub
 * started) from /proc/<pid>/status, so it includes the login storm when all
 * meters connect; VmRSS is sampled every second to show the steady level.
 */

const MB = 1024 * 1024;

export const memoryBenchmark: Benchmark = {
  name: 'memory',
  title: 'Hub resident memory with 1,000 meters',
  async run(): Promise<BenchOutcome> {
    const sizes: BenchSize[] = [];
    const meterCount = benchSize(sizes, 'BENCH_MEMORY_METERS', 1000, 'meters, one MQTT connection each', { min: 1, max: 10_000 });
    const intervalS = benchSize(sizes, 'BENCH_MEMORY_INTERVAL_S', 10, 'seconds between readings of one meter', { min: 0.1 });
    const runS = benchSize(sizes, 'BENCH_MEMORY_S', 120, 'seconds of readings after every meter connected', { min: 1 });
    const generators = benchSize(sizes, 'BENCH_MEMORY_GENERATORS', 2, 'load-generator processes sharing the connections', { min: 1, max: 16 });
    const notes: string[] = [];

    const meters = await benchMeters(meterCount);
    const dataDir = await mkdtemp(join(tmpdir(), 'commonwatt-bench-memory-'));
    try {
      await writeBenchRegistry(dataDir, meters);
      const hub = await startHubProcess({ dataDir });
      const loads: MeterLoadProcess[] = [];
      try {
        const idle = readMemoryKb(hub.pid);
        const per = Math.ceil(meterCount / generators);
        const connectStarted = performance.now();
        let peakDuringConnect = 0;
        const sampler = setInterval(() => {
          peakDuringConnect = Math.max(peakDuringConnect, readMemoryKb(hub.pid).rssKb);
        }, 500);
        try {
          loads.push(
            ...(await Promise.all(
              Array.from({ length: generators }, (_, g) =>
                startMeterLoadProcess({
                  url: hub.mqttUrl,
                  meters: meters.slice(g * per, (g + 1) * per).map((m) => ({ meterId: m.meterId, password: m.password })),
                  pattern: { kind: 'pace', intervalMs: intervalS * 1000, indexBase: g * per, fleetSize: meterCount },
                  connectConcurrency: 16,
                  maxDurationMs: runS * 1000 + 300_000,
                }),
              ),
            )),
          );
        } finally {
          clearInterval(sampler);
        }
        const connectS = (performance.now() - connectStarted) / 1000;
        const afterConnect = readMemoryKb(hub.pid);
        console.log(`  memory: ${meterCount} meters connected in ${fmt(connectS, 1)} s; hub RSS ${fmt(afterConnect.rssKb / 1024)} MB`);
        for (const load of loads) load.go();
        const samples: number[] = [];
        const end = performance.now() + runS * 1000;
        while (performance.now() < end) {
          await sleep(Math.min(1000, Math.max(0, end - performance.now())));
          samples.push(readMemoryKb(hub.pid).rssKb);
        }
        const final = readMemoryKb(hub.pid);
        const counters = await Promise.all(loads.splice(0).map((l) => l.stop()));
        const acked = counters.reduce((n, c) => n + c.acked, 0);
        const errors = counters.reduce((n, c) => n + c.errors, 0);
        const exitCode = await hub.stop();
        const stored = countStoredReadings(dataDir);
        if (exitCode !== 0) notes.push(`The hub exited with code ${exitCode} at stop.`);
        if (errors > 0) notes.push(`${errors} publishes ended without a PUBACK.`);
        if (stored < acked) notes.push(`${fmt(acked)} readings acked but only ${fmt(stored)} stored.`);
        for (const p of hub.problems) notes.push(`hub log: ${p}`);
        const steadyMax = Math.max(...samples);
        const steadyLast = samples[samples.length - 1] ?? final.rssKb;
        notes.push(
          `${fmt(meterCount)} connections from ${generators} load-generator processes; every login verified the meter's own scrypt-hashed secret. ` +
            `Readings acked during the run: ${fmt(acked)} (expected about ${fmt((meterCount * runS) / intervalS)}); stored after a clean stop: ${fmt(stored)}.`,
          'MB here is MiB (1,048,576 bytes), as /proc reports kB of 1,024 bytes.',
        );
        return {
          sizes,
          rows: [
            {
              figure: `hub peak resident memory (VmHWM), ${fmt(meterCount)} meters every ${intervalS} s`,
              target: '≤ 120 MB',
              measured: `${fmt((final.hwmKb * 1024) / MB, 1)} MB`,
              verdict: verdict((final.hwmKb * 1024) / MB <= 120),
            },
          ],
          details: [
            {
              title: 'Hub resident memory (RSS) over the run',
              headers: ['moment', 'RSS MB'],
              rows: [
                ['started, no connections', fmt(idle.rssKb / 1024, 1)],
                [`highest sample while ${fmt(meterCount)} meters logged in (${fmt(connectS, 1)} s)`, fmt(peakDuringConnect / 1024, 1)],
                ['all connected, before readings', fmt(afterConnect.rssKb / 1024, 1)],
                [`highest 1 s sample during ${fmt(runS)} s of readings`, fmt(steadyMax / 1024, 1)],
                ['last sample', fmt(steadyLast / 1024, 1)],
                ['peak since start (VmHWM)', fmt(final.hwmKb / 1024, 1)],
              ],
            },
          ],
          notes,
        };
      } finally {
        await Promise.all(loads.map((l) => l.stop().catch(() => {})));
        await hub.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
