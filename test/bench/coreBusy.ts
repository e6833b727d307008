import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * Milliseconds one core has spent busy since boot (user, nice, system, irq,
 * softirq, steal of its `cpuN` line in /proc/stat). Over a window, minus the
 * CPU time of the process pinned to that core, it is what other work took
 * from that core meanwhile.
 */
export function readCoreBusyMs(core: number): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  if (!line) throw new Error(`/proc/stat has no line for cpu${core}: this machine has fewer cores`);
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / USER_HZ;
}
