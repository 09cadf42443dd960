/**
 * Escaping for everything the app writes as HTML or SVG text: reports, exported images. Markup is
 * only ever built with the `markup` tagged template, which escapes every interpolated value unless
 * it is already `Markup` (made by this template), so untrusted text — trajectory contents, ids,
 * tool names, agent, file and model names — can never become tags or attributes.
 */

/**
 * Characters XML 1.0 forbids (C0 controls other than tab, newline and carriage return, lone
 * surrogates, U+FFFE/U+FFFF): an exported SVG holding one would not parse, so they become U+FFFD.
 */
const NOT_XML_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text as HTML/XML character data or a quoted attribute value: `& < > " '` become references
 * (numeric for the apostrophe, so the result is valid XML as well as HTML) and characters XML
 * forbids become U+FFFD.
 */
export function escapeHtml(text: string): string {
  return text.replace(NOT_XML_CHARACTER, '\uFFFD').replace(/[&<>"']/g, (c) => ENTITY[c]);
}

/** Module-private: wraps text this module escaped or assembled from escaped parts. */
let fromEscaped: (html: string) => Markup;

/** A piece of HTML/SVG that is safe to insert as is: only `markup` and the helpers here make one. */
export class Markup {
  readonly #html: string;

  private constructor(html: string) {
    this.#html = html;
  }

  static {
    fromEscaped = (html) => new Markup(html);
  }

  get html(): string {
    return this.#html;
  }

  toString(): string {
    return this.#html;
  }
}

/** What `markup` accepts between its literal parts: text and numbers are escaped, nothing is dropped. */
export type MarkupValue = Markup | string | number | boolean | null | undefined | readonly MarkupValue[];

function render(value: MarkupValue): string {
  if (value instanceof Markup) return value.html;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template for HTML/SVG: the literal parts are the code's own markup; every `${value}` is
 * escaped (arrays are joined, `null`/`undefined`/`false` render nothing, `Markup` goes in as is).
 */
export function markup(strings: TemplateStringsArray, ...values: readonly MarkupValue[]): Markup {
  let html = strings[0];
  for (let i = 0; i < values.length; i++) html += render(values[i]) + strings[i + 1];
  return fromEscaped(html);
}

/** Joins pieces (escaping any text among them). */
export function joinMarkup(values: readonly MarkupValue[], separator = ''): Markup {
  return fromEscaped(values.map(render).join(escapeHtml(separator)));
}

/** A number as an SVG coordinate: finite, at most two decimals (smaller files, same drawing). */
export function coordinate(value: number): string {
  if (!Number.isFinite(value)) return '0';
  return String(Math.round(value * 100) / 100);
}

const CSS_COLOUR = /^(#[0-9a-fA-F]{3,8}|rgba?\(\s*\d{1,3}(\.\d+)?\s*,\s*\d{1,3}(\.\d+)?\s*,\s*\d{1,3}(\.\d+)?\s*(,\s*(0|1|0?\.\d+)\s*)?\)|transparent)$/;

/**
 * A colour for a style or fill: only hex, rgb()/rgba() and `transparent` pass, so nothing but a
 * colour (no url(), no expression) ever reaches CSS. Anything else throws: a bug, not user input.
 */
export function cssColour(value: string): string {
  if (!CSS_COLOUR.test(value)) throw new Error(`not a CSS colour: ${JSON.stringify(value)}`);
  return value;
}

const CLASS_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** A class name the code made (token colour buckets); anything else throws. */
export function cssClassName(value: string): string {
  if (!CLASS_NAME.test(value)) throw new Error(`not a CSS class name: ${JSON.stringify(value)}`);
  return value;
}
