import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from './packageRoot.js';

/**
 * The browser files the hub serves, read once at start and kept in memory (a
 * few tens of KB): the stylesheet, the page scripts in `dashboard/public/js/`
 * and uPlot from its package. Nothing is fetched from the internet: the hub may
 * have none. URLs carry a content hash, so browsers may cache them for good.
 */

export interface DashboardAsset {
  name: string;
  type: string;
  body: Buffer;
  hash: string;
}

export interface DashboardAssets {
  get(name: string): DashboardAsset | undefined;
  /** `/assets/<name>?v=<hash>`; throws for an unknown asset so a typo fails at render. */
  url(name: string): string;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

export function loadDashboardAssets(): DashboardAssets {
  const root = packageRoot();
  const files = new Map<string, string>();
  files.set('dashboard.css', join(root, 'dashboard', 'public', 'dashboard.css'));
  files.set('icon.svg', join(root, 'dashboard', 'public', 'icon.svg'));
  files.set('signedIn.css', join(root, 'dashboard', 'public', 'signedIn.css'));
  for (const file of readdirSync(join(root, 'dashboard', 'public', 'js'))) {
    if (file.endsWith('.js')) files.set(file, join(root, 'dashboard', 'public', 'js', file));
  }
  const require = createRequire(import.meta.url);
  const uplotDir = join(require.resolve('uplot'), '..');
  files.set('uplot.js', join(uplotDir, 'uPlot.iife.min.js'));
  files.set('uplot.css', join(uplotDir, 'uPlot.min.css'));

  const assets = new Map<string, DashboardAsset>();
  for (const [name, path] of files) {
    const body = readFileSync(path);
    const ext = name.slice(name.lastIndexOf('.'));
    assets.set(name, { name, type: TYPES[ext] ?? 'application/octet-stream', body, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) });
  }
  return {
    get: (name) => assets.get(name),
    url(name) {
      const asset = assets.get(name);
      if (!asset) throw new Error(`dashboard: no asset "${name}" (files are in dashboard/public/)`);
      return `/assets/${name}?v=${asset.hash}`;
    },
  };
}
