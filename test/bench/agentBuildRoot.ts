import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../helpers/hubProcess.js';

/**
 * Which build of Commonwatt the agent benchmark runs: the repo's own dist/
 * (after `npm run build`), or, with BENCH_AGENT_BUILD_ROOT, a snapshot built
 * elsewhere, which work going on in the repo meanwhile cannot rebuild under a
 * running benchmark:
 *
 *   git archive HEAD | tar -x -C /tmp/cw && git rev-parse --short HEAD > /tmp/cw/.commit
 *   ln -s "$PWD/node_modules" /tmp/cw/node_modules && (cd /tmp/cw && npx tsc -p tsconfig.build.json)
 *   BENCH_AGENT_BUILD_ROOT=/tmp/cw node --import tsx test/bench/agentFootprint.ts
 */
export const AGENT_BUILD_ROOT = process.env.BENCH_AGENT_BUILD_ROOT || REPO_ROOT;

/** The compiled CLI: `node <this> sensor run ...`, `node <this> start ...`. */
export const BUILT_CLI = join(AGENT_BUILD_ROOT, 'dist/hub/cli/main.js');

/**
 * Throws unless the build exists and no compiled file of its sensors/ (the
 * agent's code) is older than its source; returns its hub/ sources newer than
 * their build, for the report (the CLI loads hub code too).
 */
export function assertAgentBuilt(): string[] {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} does not exist; run \`npm run build\` first (or see test/bench/agentBuildRoot.ts).`);
  const walk = (dir: string, stale: string[]) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, stale);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        // A source with no compiled file yet is work in progress that built code cannot import unchanged.
        const built = join(AGENT_BUILD_ROOT, 'dist', relative(AGENT_BUILD_ROOT, path)).replace(/\.ts$/, '.js');
        if (existsSync(built) && statSync(built).mtimeMs < statSync(path).mtimeMs) stale.push(relative(AGENT_BUILD_ROOT, path));
      }
    }
  };
  const stale: string[] = [];
  walk(join(AGENT_BUILD_ROOT, 'sensors'), stale);
  if (stale.length > 0) throw new Error(`${join(AGENT_BUILD_ROOT, 'dist')} is older than ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ` and ${stale.length - 5} more` : ''}; run \`npm run build\` first.`);
  const hubNewer: string[] = [];
  walk(join(AGENT_BUILD_ROOT, 'hub'), hubNewer);
  return hubNewer;
}

/** The build's commit: `.commit` in a snapshot, else the repo's HEAD (with a note if the tree has changes). */
export function describeBuildCommit(): string {
  const file = join(AGENT_BUILD_ROOT, '.commit');
  if (existsSync(file)) return `commit ${readFileSync(file, 'utf8').trim()} (snapshot in ${AGENT_BUILD_ROOT})`;
  return `the repo's dist/ (${AGENT_BUILD_ROOT})`;
}
