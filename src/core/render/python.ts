/**
 * The few Python built-ins the reference code's plain rendering depends on, reproduced exactly:
 * `repr()` of the values JSON can hold (what `f"{args}"` / `str(dict)` writes for a tool call's
 * arguments) and `str.strip()` with no argument.
 *
 * Known limits that no JavaScript code can lift, because the information is gone once `JSON.parse`
 * has run (the reference code reads the same JSON with Python's `json.loads`):
 *  - Python keeps `3` (int) and `3.0` (float) apart; JSON.parse gives the number 3 for both. An
 *    integral number is written as an int (`3`), so a JSON `3.0` renders as `3` where Python writes
 *    `3.0`; likewise a JSON `1e+16` renders as `10000000000000000` (Python: `1e+16`). Non-integral
 *    numbers are exact. `-0` is written `-0.0`: JSON written by Python holds `-0.0` for a float and
 *    never `-0` for an int.
 *  - Integers beyond 2^53 lose digits in a JavaScript number (`123456789012345678` parses to
 *    123456789012345680). A `bigint` value is written exactly, for callers that keep one.
 *  - Python dicts keep the file's key order; JavaScript objects put integer-like keys (`"2"`, `"10"`)
 *    first, in ascending order, whatever the file's order was. Other keys keep their order.
 *  - Which characters count as printable follows the Unicode version of the JavaScript engine
 *    (Node 20.20: Unicode 17), while Python follows its own (3.11: Unicode 14; 3.12: 15.0): a
 *    character assigned in between is kept by this code and escaped by that Python. Checked against
 *    CPython 3.11 on every code point below U+30000: those characters are the only differences.
 */

/** Characters Python's `str.isspace()` accepts: what `str.strip()` with no argument removes. */
const PYTHON_WHITESPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Whether Python's `str.isspace()` is true for this single UTF-16 code unit (every such character is in the BMP). */
export function isPythonWhitespace(codeUnit: number): boolean {
  return PYTHON_WHITESPACE.has(codeUnit);
}

/**
 * Python's `text.strip()`: removes leading and trailing Python whitespace. Unlike `String.prototype.trim`
 * it removes U+001C–U+001F and U+0085, and keeps U+FEFF.
 */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PYTHON_WHITESPACE.has(text.charCodeAt(start))) start++;
  while (end > start && PYTHON_WHITESPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/**
 * Characters Python's `str.isprintable()` rejects: general categories Other (Cc, Cf, Cs, Co, Cn) and
 * Separator (Zl, Zp, Zs), except the ASCII space. Tested per code point.
 */
const NON_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}

/** Python's `repr(text)`: the quote it picks, its escapes, non-ASCII printable characters kept as they are. */
export function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  // for…of walks code points; a lone surrogate comes out on its own (category Cs), as in Python.
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\t') out += '\\t';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (codePoint < 0x20 || codePoint === 0x7f) out += `\\x${hex(codePoint, 2)}`;
    else if (codePoint < 0x7f) out += char;
    else if (!NON_PRINTABLE.test(char)) out += char;
    else if (codePoint <= 0xff) out += `\\x${hex(codePoint, 2)}`;
    else if (codePoint <= 0xffff) out += `\\u${hex(codePoint, 4)}`;
    else out += `\\U${hex(codePoint, 8)}`;
  }
  return out + quote;
}

/**
 * Python's `repr(float(value))`: the shortest digits that round-trip (the same digits JavaScript
 * picks), written in fixed notation when the decimal exponent is in [-5, 16) with at least one digit
 * after the point (`1.0`, `0.0001`, `1000000000000000.0`), else in exponent notation with a signed,
 * at-least-two-digit exponent (`1e-05`, `1e+16`, `1.5e-07`).
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  // toExponential() with no argument gives the shortest round-trip digits: "d.ddde±x".
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const exponentSign = exponent < 0 ? '-' : '+';
    return `${sign}${digits[0]}${fraction}e${exponentSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const pointPosition = exponent + 1; // digits before the decimal point
  if (pointPosition <= 0) return `${sign}0.${'0'.repeat(-pointPosition)}${digits}`;
  if (pointPosition < digits.length) return `${sign}${digits.slice(0, pointPosition)}.${digits.slice(pointPosition)}`;
  return `${sign}${digits}${'0'.repeat(pointPosition - digits.length)}.0`;
}

/**
 * Python's `repr` of a JavaScript number as `json.loads` would most likely have produced it: an
 * integral value as an int (`3`, `10000000000000000`), anything else as a float. `-0` is a float
 * (`-0.0`), as are NaN and ±Infinity. See the module comment for why `3.0` cannot be told from `3`.
 */
export function pythonNumberRepr(value: number): string {
  if (Number.isInteger(value) && !Object.is(value, -0)) return BigInt(value).toString();
  return pythonFloatRepr(value);
}

/**
 * Python's `repr()` (= `str()` for containers) of a JSON-like value: `None`, `True` / `False`, ints
 * and floats, strings, lists `[1, 'a']` and dicts `{'key': 'value'}` in key order. `undefined` (which
 * JSON cannot hold) is written `None`. A container that contains itself is written `[...]` / `{...}`,
 * as Python does.
 */
export function pythonRepr(value: unknown): string {
  return reprWithin(value, new Set());
}

function reprWithin(value: unknown, ancestors: Set<object>): string {
  if (value === null || value === undefined) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return pythonNumberRepr(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return pythonStringRepr(value);
    case 'object':
      break;
    default:
      throw new TypeError(`pythonRepr: a ${typeof value} has no Python counterpart in JSON data`);
  }
  const container = value as object;
  if (ancestors.has(container)) return Array.isArray(container) ? '[...]' : '{...}';
  ancestors.add(container);
  try {
    if (Array.isArray(container)) {
      return `[${container.map((item) => reprWithin(item, ancestors)).join(', ')}]`;
    }
    const entries = Object.entries(container).map(([key, item]) => `${pythonStringRepr(key)}: ${reprWithin(item, ancestors)}`);
    return `{${entries.join(', ')}}`;
  } finally {
    ancestors.delete(container);
  }
}
