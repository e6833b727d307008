import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchMeters, writeBenchRegistry } from './benchMeters.js';
import { fmt, verdict, type Benchmark, type BenchOutcome, type BenchSize } from './benchResult.js';
import { benchSize } from './benchSize.js';
import { startHubProcess } from './hubProcess.js';
import { closeClients, connectMeters, flood, floodPlan, newCounters } from './meterLoad.js';
import { countStoredReadings, findMissingReadings, journalBytes } from './storedReadings.js';

/**
 * Acked readings lost across `kill -9` of the hub under load (ARCHITECTURE.md
 * target: 0 across 20 kills).
 *
 * Each cycle starts the hub on the same data directory, connects the clients
 * (one meter each, new connections to the new port), floods readings with a
 * bounded in-flight window and records every (meter, t) whose PUBACK arrived,
 * then SIGKILLs the hub after a random 0.5–2 s. A reading is acked only after
 * its journal line is fdatasync'd, so each must survive. Readings continue
 * where the last cycle stopped (never re-sent), so unacked ones are simply
 * not expected. After the last kill the hub starts once more (recovering its
 * journal) and stops cleanly; then the database is opened offline and every
 * acked (meter, t) is looked up.
 */

/** Small seeded generator (mulberry32), so kill times can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Cycle {
  killAfterMs: number;
  readyMs: number;
  acked: number;
  unacked: number;
}

export const killLossBenchmark: Benchmark = {
  name: 'killLoss',
  title: 'Acked readings lost across kill -9 of the hub under load',
  async run(): Promise<BenchOutcome> {
    const sizes: BenchSize[] = [];
    const cycles = benchSize(sizes, 'BENCH_KILL_CYCLES', 20, 'SIGKILLs of the hub', { min: 1, max: 1000 });
    const clientCount = benchSize(sizes, 'BENCH_KILL_CLIENTS', 10, 'clients flooding readings (one meter each)', { min: 1, max: 1000 });
    const window = benchSize(sizes, 'BENCH_KILL_WINDOW', 64, 'unacked QoS 1 publishes per client', { min: 1, max: 60_000 });
    const minMs = benchSize(sizes, 'BENCH_KILL_MIN_MS', 500, 'shortest load before a kill, ms');
    const maxMs = benchSize(sizes, 'BENCH_KILL_MAX_MS', 2000, 'longest load before a kill, ms', { min: minMs });
    const seed = benchSize(sizes, 'BENCH_KILL_SEED', 20_240_601, 'seed of the kill times');
    const random = seededRandom(seed);
    const notes: string[] = [];

    const meters = await benchMeters(clientCount);
    const dataDir = await mkdtemp(join(tmpdir(), 'commonwatt-bench-kill-'));
    try {
      await writeBenchRegistry(dataDir, meters);
      // One plan per meter for the whole benchmark: t keeps rising across restarts.
      const plans = meters.map(() => floodPlan(500_000, 100));
      const acked = new Map<string, number[]>(meters.map((m) => [m.meterId, []]));
      const log: Cycle[] = [];

      for (let cycle = 1; cycle <= cycles; cycle++) {
        const hub = await startHubProcess({ dataDir });
        const counters = newCounters();
        const killAfterMs = Math.round(minMs + random() * (maxMs - minMs));
        try {
          const clients = await connectMeters(hub.mqttUrl, meters);
          const handles = clients.map((client, i) => flood(client, meters[i]!.meterId, plans[i]!, window, counters, (t) => acked.get(meters[i]!.meterId)!.push(t)));
          await sleep(killAfterMs);
          await hub.kill();
          await Promise.all(handles.map((h) => h.stop(0)));
          await closeClients(clients, true);
        } finally {
          await hub.kill();
        }
        log.push({ killAfterMs, readyMs: hub.readyMs, acked: counters.acked, unacked: counters.sent - counters.acked });
        for (const p of hub.problems) notes.push(`cycle ${cycle}, hub log: ${p}`);
        console.log(`  killLoss cycle ${cycle}: killed after ${killAfterMs} ms, ${fmt(counters.acked)} acked`);
      }

      const last = await startHubProcess({ dataDir });
      const exitCode = await last.stop();
      if (exitCode !== 0) notes.push(`The final clean stop exited with code ${exitCode}.`);
      for (const p of last.problems) notes.push(`final start, hub log: ${p}`);
      const leftInJournal = journalBytes(dataDir);
      if (leftInJournal > 0) notes.push(`${fmt(leftInJournal)} bytes were left in the journal after the clean stop; they are not counted as stored.`);

      const totalAcked = [...acked.values()].reduce((n, list) => n + list.length, 0);
      const missing = findMissingReadings(dataDir, acked);
      const stored = countStoredReadings(dataDir);
      for (const m of missing.slice(0, 10)) notes.push(`lost: meter ${m.meterId}, t ${m.t} (${new Date(m.t).toISOString()})`);
      notes.push(
        `Stored after the last clean stop: ${fmt(stored)} readings, ${fmt(stored - totalAcked + missing.length)} of them journaled but never acked (their PUBACK was lost with the hub), which is allowed.`,
        `The final start recovered the journal of the last kill and was ready after ${fmt(last.readyMs)} ms.`,
      );

      return {
        sizes,
        rows: [
          {
            figure: `acked readings lost across ${cycles} kill -9 of the hub under load`,
            target: '0',
            measured: `${fmt(missing.length)} of ${fmt(totalAcked)} acked`,
            verdict: verdict(missing.length === 0 && totalAcked > 0),
          },
        ],
        details: [
          {
            title: 'Cycles',
            headers: ['cycle', 'killed after ms of load', 'hub ready after ms (spawn to admin API, includes journal recovery)', 'readings acked', 'publishes sent but not acked'],
            rows: log.map((c, i) => [String(i + 1), fmt(c.killAfterMs), fmt(c.readyMs), fmt(c.acked), fmt(c.unacked)]),
          },
        ],
        notes,
      };
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
