import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchOutcome, BenchRow } from './benchResult.js';
import { fmt } from './benchResult.js';
import { assertHubBuilt, HUB_MAIN } from './hubProcess.js';
import { readMachineBusyMs, readOwnTreeCpuMs } from './procStats.js';
import { ingestBenchmark } from './ingest.js';
import { diskWritesBenchmark } from './diskWrites.js';
import { killLossBenchmark } from './killLoss.js';
import { memoryBenchmark } from './memory.js';
import { startTimeBenchmark } from './startTime.js';
import { dashboardBenchmark } from './dashboard.js';

/**
 * `npm run bench` runs every benchmark in sequence and writes RESULTS.md;
 * `npm run bench -- ingest memory` runs only those and prints their section
 * (RESULTS.md keeps the figures of the last full run; set BENCH_RESULTS_FILE
 * to write a partial run's results to a file). Sizes come from BENCH_*
 * environment variables; each section lists the ones used.
 * The hub runs from dist/: run `npm run build` first.
 */

const BENCHMARKS: readonly Benchmark[] = [ingestBenchmark, diskWritesBenchmark, killLossBenchmark, memoryBenchmark, startTimeBenchmark, dashboardBenchmark];
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const RESULTS_FILE = join(ROOT, 'test', 'bench', 'RESULTS.md');

interface Section {
  benchmark: Benchmark;
  outcome: BenchOutcome | null;
  error: Error | null;
  durationMs: number;
  /** 1-minute load average when it began and ended: other work on the machine skews every figure. */
  load: [number, number];
  /** CPU time other processes on the machine took while it ran, in cores on average. */
  otherCores: number;
}

function selectBenchmarks(names: readonly string[]): readonly Benchmark[] {
  if (names.length === 0) return BENCHMARKS;
  return names.map((name) => {
    const found = BENCHMARKS.find((b) => b.name === name);
    if (!found) throw new Error(`Unknown benchmark ${JSON.stringify(name)}; choose from ${BENCHMARKS.map((b) => b.name).join(', ')}.`);
    return found;
  });
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function gitDescription(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'hub'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return `${commit}${dirty ? ' (hub/ has uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** The newest .ts under hub/, to tell whether dist/ was built from the sources as they are. */
function newestHubSource(): { file: string; mtimeMs: number } {
  let newest = { file: '', mtimeMs: 0 };
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const mtimeMs = statSync(path).mtimeMs;
        if (mtimeMs > newest.mtimeMs) newest = { file: path, mtimeMs };
      }
    }
  };
  walk(join(ROOT, 'hub'));
  return newest;
}

function describeBuild(): { text: string; distMtimeMs: number } {
  const distMtimeMs = statSync(HUB_MAIN).mtimeMs;
  const newest = newestHubSource();
  const stale = newest.mtimeMs > distMtimeMs ? ` — **${newest.file.slice(ROOT.length + 1)} is newer than dist/: run \`npm run build\`**` : '';
  return { text: `dist/ built ${new Date(distMtimeMs).toISOString()}, commit ${gitDescription()}${stale}`, distMtimeMs };
}

function fileSystemOf(path: string): string {
  try {
    return execFileSync('df', ['-T', path], { encoding: 'utf8' }).trim().split('\n')[1]?.split(/\s+/)[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${headers.map(escape).join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(escape).join(' | ')} |`)].join('\n');
}

const VERDICT_TEXT: Record<BenchRow['verdict'], string> = { pass: 'pass', miss: '**miss**', info: '–' };

function render(sections: readonly Section[], startedAt: Date, totalMs: number, full: boolean, build: { text: string; distMtimeMs: number }, startLoad: string): string {
  const cpu = cpus();
  const lines: string[] = [];
  lines.push('# Benchmark results', '');
  lines.push(
    `Written by \`npm run bench\`${full ? '' : ` (partial run: ${sections.map((s) => s.benchmark.name).join(', ')})`} on ${startedAt.toISOString()}; ` +
      `the run took ${fmt(totalMs / 60_000, 1)} min. These are measurements, not timed tests: a miss is reported as measured.`,
    '',
  );
  lines.push('## Machine', '');
  lines.push(
    table(
      ['', ''],
      [
        ['CPU', cpu[0]?.model ?? 'unknown'],
        ['cores', String(cpu.length)],
        ['RAM', `${fmt(totalmem() / 2 ** 30, 1)} GiB`],
        ['kernel', release()],
        ['temp dir file system (data directories)', `${tmpdir()} on ${fileSystemOf(tmpdir())}`],
        ['Node', process.version],
        ['aedes', packageVersion('aedes')],
        ['better-sqlite3', packageVersion('better-sqlite3')],
        ['mqtt (mqtt.js)', packageVersion('mqtt')],
        ['hub (when the run began)', build.text],
        ['load average when the run began', startLoad],
      ],
    ),
    '',
  );
  const rebuilt = statSync(HUB_MAIN).mtimeMs;
  if (rebuilt !== build.distMtimeMs) {
    lines.push(`**dist/ was rebuilt during the run (${new Date(rebuilt).toISOString()}): benchmarks that started hubs after that ran the new build.**`, '');
  }
  lines.push('## Summary', '');
  const summary: string[][] = [];
  for (const s of sections) {
    const other = fmt(s.otherCores, 2);
    if (s.error) summary.push([s.benchmark.title, '', `failed: ${s.error.message.split('\n')[0]}`, '**failed**', other]);
    for (const row of s.outcome?.rows ?? []) summary.push([row.figure, row.target, row.measured, VERDICT_TEXT[row.verdict], other]);
  }
  lines.push(table(['figure', 'target', 'measured', 'result', `other processes' CPU during the benchmark (cores of ${cpu.length})`], summary), '');

  for (const s of sections) {
    lines.push(`## ${s.benchmark.title} (\`${s.benchmark.name}\`)`, '');
    lines.push(
      `Took ${fmt(s.durationMs / 1000)} s. Other processes on the machine used ${fmt(s.otherCores, 2)} of its ${cpus().length} cores on average meanwhile ` +
        `(1-minute load average ${s.load[0].toFixed(2)} when it began, ${s.load[1].toFixed(2)} when it ended).`,
      '',
    );
    if (s.error) {
      lines.push('The benchmark failed:', '', '```', s.error.stack ?? s.error.message, '```', '');
      continue;
    }
    const outcome = s.outcome!;
    lines.push('Sizes used:', '');
    lines.push(table(['variable', 'value', 'meaning'], outcome.sizes.map((z) => [`\`${z.env}\``, String(z.value), z.meaning])), '');
    lines.push(table(['figure', 'target', 'measured', 'result'], outcome.rows.map((r) => [r.figure, r.target, r.measured, VERDICT_TEXT[r.verdict]])), '');
    for (const detail of outcome.details) {
      lines.push(`### ${detail.title}`, '', table(detail.headers, detail.rows), '');
    }
    if (outcome.notes.length > 0) {
      lines.push('Notes:', '', ...outcome.notes.map((n) => `- ${n}`), '');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const selected = selectBenchmarks(names);
  assertHubBuilt();
  const build = describeBuild();
  const startLoad = loadavg().map((l) => l.toFixed(2)).join(', ');
  if (build.text.includes('newer than dist/')) console.warn(`warning: ${build.text.replace(/\*\*/g, '')}`);
  const startedAt = new Date();
  const started = performance.now();
  const sections: Section[] = [];
  for (const benchmark of selected) {
    console.log(`▶ ${benchmark.name}: ${benchmark.title}`);
    const t0 = performance.now();
    const loadBefore = loadavg()[0]!;
    const machineBefore = readMachineBusyMs();
    const ownBefore = readOwnTreeCpuMs();
    let outcome: BenchOutcome | null = null;
    let error: Error | null = null;
    try {
      outcome = await benchmark.run();
    } catch (e) {
      error = e as Error;
      console.error(`✗ ${benchmark.name} failed: ${error.stack ?? error.message}`);
    }
    const durationMs = performance.now() - t0;
    const otherCores = Math.max(0, readMachineBusyMs() - machineBefore - (readOwnTreeCpuMs() - ownBefore)) / durationMs;
    sections.push({ benchmark, outcome, error, durationMs, load: [loadBefore, loadavg()[0]!], otherCores });
    console.log(`  other processes used ${fmt(otherCores, 2)} cores on average meanwhile`);
    for (const row of outcome?.rows ?? []) console.log(`  ${row.verdict.padEnd(4)}  ${row.figure}: ${row.measured} (target ${row.target})`);
    console.log(`  (${fmt(durationMs / 1000)} s)`);
  }
  const full = selected.length === BENCHMARKS.length;
  const markdown = render(sections, startedAt, performance.now() - started, full, build, startLoad);
  const file = process.env.BENCH_RESULTS_FILE ? resolve(process.env.BENCH_RESULTS_FILE) : full ? RESULTS_FILE : null;
  if (file) {
    writeFileSync(file, markdown);
    console.log(`Results written to ${file}.`);
  } else {
    console.log(`\n${markdown}`);
    console.log('(Partial run: RESULTS.md left as it was; set BENCH_RESULTS_FILE to write these results to a file.)');
  }
  process.exit(sections.some((s) => s.error) ? 1 : 0);
}

main().catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
