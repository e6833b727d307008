import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding Commonwatt's package.json. The dashboard's strings and
 * browser files are read from there, whether the hub runs from source (tests)
 * or from dist/ (npm start).
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'dashboard', 'strings'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find Commonwatt's package folder above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
