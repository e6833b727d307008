/**
 * HTML built from template literals with every interpolated value escaped, so a
 * label or an error message can never become markup. `raw()` marks markup this
 * code made itself; arrays are joined; null, undefined and false render nothing.
 */

const RAW = Symbol('raw html');

export interface RawHtml {
  readonly [RAW]: string;
}

export type HtmlValue = string | number | boolean | null | undefined | RawHtml | readonly HtmlValue[];

export function raw(markup: string): RawHtml {
  return { [RAW]: markup };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object') return (value as RawHtml)[RAW];
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): RawHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return raw(out);
}

export function toHtmlString(value: RawHtml): string {
  return value[RAW];
}

/** JSON for a <script type="application/json"> block: `<` is escaped so no value can close the element. */
export function jsonForScript(value: unknown): RawHtml {
  return raw(JSON.stringify(value).replace(/</g, '\\u003c'));
}
