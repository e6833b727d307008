import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './packageRoot.js';

/**
 * Every word the dashboard shows, from `dashboard/strings/<language>/*.json`:
 * one file per page area, keys namespaced by file (`residents.title`). A
 * translation is a copy of that folder with the values translated; code never
 * holds an English sentence. Placeholders are `{name}`.
 */

export interface DashboardStrings {
  readonly language: string;
  /** BCP 47 locale for numbers and dates, from `common.json`'s "locale". */
  readonly locale: string;
  t(key: string, values?: Record<string, string | number>): string;
  /** Every string under a namespace, for a page's script. */
  section(namespace: string): Record<string, string>;
}

export class MissingStringError extends Error {}

export function loadDashboardStrings(language = 'en', dir = join(packageRoot(), 'dashboard', 'strings', language)): DashboardStrings {
  const table = new Map<string, string>();
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch (error) {
    throw new Error(`dashboard strings: cannot read ${dir} (${(error as Error).message}); is "${language}" a folder in dashboard/strings/?`, { cause: error });
  }
  for (const file of files) {
    const namespace = file.slice(0, -'.json'.length);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch (error) {
      throw new Error(`dashboard strings: ${join(dir, file)} is not valid JSON (${(error as Error).message})`, { cause: error });
    }
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof value !== 'string') throw new Error(`dashboard strings: ${file} "${key}" must be a string (got ${JSON.stringify(value)})`);
      table.set(`${namespace}.${key}`, value);
    }
  }
  const locale = table.get('common.locale') ?? 'en';

  return {
    language,
    locale,
    t(key, values) {
      const text = table.get(key);
      if (text === undefined) throw new MissingStringError(`dashboard strings: no "${key}" in dashboard/strings/${language}/ (add it to ${key.split('.')[0]}.json)`);
      if (!values) return text;
      return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
    },
    section(namespace) {
      const out: Record<string, string> = {};
      for (const [key, value] of table) if (key.startsWith(`${namespace}.`)) out[key.slice(namespace.length + 1)] = value;
      return out;
    },
  };
}
