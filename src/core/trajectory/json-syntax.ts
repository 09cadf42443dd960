/**
 * Locating JSON syntax errors ourselves. `JSON.parse` messages differ between engines (V8 in
 * Node 20 often gives no position at all: `Unexpected token '}', "{"a":}" is not valid JSON`;
 * Firefox says `line 1 column 6`), so after a failed parse this strict RFC 8259 scanner finds the
 * first offending character and says what was expected, the same in every engine.
 * It is iterative (an explicit container stack), so deeply nested input cannot overflow the call stack.
 * With `ScanOptions.onNonFinite` it also accepts the `NaN`, `Infinity` and `-Infinity` that Python's
 * json module writes where a value may stand (json-nonfinite.ts reads such text).
 */

export interface JsonSyntaxError {
  /** UTF-16 offset of the offending character (or of the end of input). */
  offset: number;
  /** 1-based line (lines end at '\n'). */
  line: number;
  /** 1-based column in Unicode code points. */
  column: number;
  /** What went wrong, e.g. `unexpected character ']': expected a value`. */
  message: string;
}

/** The literals outside RFC 8259 that Python's json module writes for non-finite floats. */
export type NonFiniteLiteral = 'NaN' | 'Infinity' | '-Infinity';

export interface ScanOptions {
  /** Accept the non-finite literals where a value may stand; called with each one's offset. */
  onNonFinite?(offset: number, literal: NonFiniteLiteral): void;
  /** Called with the offsets of each number token (start inclusive, end exclusive). */
  onNumber?(start: number, end: number): void;
}

/**
 * What the scanner expects next: a value; after `{` a key or `}`; after `,` in an object a key;
 * after a value `,` or the container's closer (or the end of input at the top level).
 */
type Expect = 'value' | 'first-key' | 'key' | 'after-value';

class SyntaxFault {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isHexDigit(code: number): boolean {
  return isDigit(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

/** How a character is shown in a message: printable ones quoted, others as U+XXXX. */
function showChar(text: string, offset: number): string {
  const cp = text.codePointAt(offset);
  if (cp === undefined) return 'end of input';
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0) || cp === 0xfeff) return `character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return `character '${String.fromCodePoint(cp)}'`;
}

function unexpected(text: string, offset: number, expected: string): SyntaxFault {
  const found = offset >= text.length ? 'unexpected end of input' : `unexpected ${showChar(text, offset)}`;
  return new SyntaxFault(offset, `${found}: expected ${expected}`);
}

/** Scans a string starting at its opening quote; returns the offset after the closing quote. */
function scanString(text: string, start: number): number {
  let pos = start + 1;
  for (;;) {
    if (pos >= text.length) return failString(text, start);
    const code = text.charCodeAt(pos);
    if (code === 0x22) return pos + 1;
    if (code < 0x20) {
      throw new SyntaxFault(pos, `unexpected ${showChar(text, pos)} inside a string: expected an escape such as \\n or \\t (raw control characters are not allowed)`);
    }
    if (code === 0x5c) {
      const next = text.charCodeAt(pos + 1);
      if (Number.isNaN(next)) return failString(text, start);
      if (next === 0x75) {
        for (let k = 2; k < 6; k++) {
          if (!isHexDigit(text.charCodeAt(pos + k))) throw unexpected(text, pos + k, 'four hex digits after \\u');
        }
        pos += 6;
        continue;
      }
      if ('"\\/bfnrt'.includes(text[pos + 1])) {
        pos += 2;
        continue;
      }
      throw new SyntaxFault(pos + 1, `invalid escape '\\${String.fromCodePoint(text.codePointAt(pos + 1) ?? 0)}' inside a string: expected one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX`);
    }
    pos += 1;
  }
}

function failString(text: string, start: number): never {
  throw new SyntaxFault(text.length, `unexpected end of input: expected '"' to close the string that starts at ${lineColumnText(text, start)}`);
}

function scanNumber(text: string, start: number): number {
  let pos = start;
  if (text.charCodeAt(pos) === 0x2d) pos += 1;
  if (text.charCodeAt(pos) === 0x30) {
    pos += 1;
  } else if (isDigit(text.charCodeAt(pos))) {
    while (isDigit(text.charCodeAt(pos))) pos += 1;
  } else {
    throw unexpected(text, pos, 'a digit');
  }
  if (text.charCodeAt(pos) === 0x2e) {
    pos += 1;
    if (!isDigit(text.charCodeAt(pos))) throw unexpected(text, pos, "a digit after '.'");
    while (isDigit(text.charCodeAt(pos))) pos += 1;
  }
  const e = text.charCodeAt(pos);
  if (e === 0x65 || e === 0x45) {
    pos += 1;
    const sign = text.charCodeAt(pos);
    if (sign === 0x2b || sign === 0x2d) pos += 1;
    if (!isDigit(text.charCodeAt(pos))) throw unexpected(text, pos, 'a digit in the exponent');
    while (isDigit(text.charCodeAt(pos))) pos += 1;
  }
  return pos;
}

function scanLiteral(text: string, start: number, literal: string): number {
  for (let k = 0; k < literal.length; k++) {
    if (text[start + k] !== literal[k]) throw unexpected(text, start + k, `'${literal}'`);
  }
  return start + literal.length;
}

const VALUE = 'a value (object, array, string, number, true, false or null)';

/** A non-finite literal at `pos` when the options accept them, else null. */
function scanNonFinite(text: string, pos: number, options: ScanOptions): number | null {
  if (!options.onNonFinite) return null;
  const code = text.charCodeAt(pos);
  const literal: NonFiniteLiteral | null = code === 0x4e ? 'NaN' : code === 0x49 ? 'Infinity' : code === 0x2d && text.charCodeAt(pos + 1) === 0x49 ? '-Infinity' : null;
  if (literal === null) return null;
  const end = scanLiteral(text, pos, literal);
  options.onNonFinite(pos, literal);
  return end;
}

/** Scans one value's first token; returns the new position and the mode that follows. */
function scanValueStart(text: string, pos: number, stack: number[], options: ScanOptions): { pos: number; next: Expect } {
  const nonFinite = scanNonFinite(text, pos, options);
  if (nonFinite !== null) return { pos: nonFinite, next: 'after-value' };
  const code = text.charCodeAt(pos);
  switch (code) {
    case 0x7b: // {
      stack.push(0x7d);
      return { pos: pos + 1, next: 'first-key' };
    case 0x5b: {
      // [ — an empty array closes at once
      stack.push(0x5d);
      let p = pos + 1;
      while (isWhitespace(text.charCodeAt(p))) p += 1;
      if (text.charCodeAt(p) === 0x5d) {
        stack.pop();
        return { pos: p + 1, next: 'after-value' };
      }
      return { pos: pos + 1, next: 'value' };
    }
    case 0x22:
      return { pos: scanString(text, pos), next: 'after-value' };
    case 0x74:
      return { pos: scanLiteral(text, pos, 'true'), next: 'after-value' };
    case 0x66:
      return { pos: scanLiteral(text, pos, 'false'), next: 'after-value' };
    case 0x6e:
      return { pos: scanLiteral(text, pos, 'null'), next: 'after-value' };
    default:
      if (code === 0x2d || isDigit(code)) {
        const end = scanNumber(text, pos);
        options.onNumber?.(pos, end);
        return { pos: end, next: 'after-value' };
      }
      if (code === 0x27) throw unexpected(text, pos, `${VALUE}; strings take double quotes`);
      throw unexpected(text, pos, VALUE);
  }
}

function scan(text: string, options: ScanOptions): void {
  const stack: number[] = []; // expected closer of each open container
  let pos = 0;
  let mode: Expect = 'value';
  for (;;) {
    while (pos < text.length && isWhitespace(text.charCodeAt(pos))) pos += 1;
    const code = text.charCodeAt(pos);
    switch (mode) {
      case 'value': {
        if (pos >= text.length) throw unexpected(text, pos, VALUE);
        ({ pos, next: mode } = scanValueStart(text, pos, stack, options));
        break;
      }
      case 'first-key':
      case 'key': {
        if (mode === 'first-key' && code === 0x7d) {
          stack.pop();
          pos += 1;
          mode = 'after-value';
          break;
        }
        if (code !== 0x22) {
          if (mode === 'key' && code === 0x7d) throw unexpected(text, pos, "a property name in double quotes after ',' (trailing commas are not allowed)");
          throw unexpected(text, pos, mode === 'first-key' ? "a property name in double quotes or '}'" : 'a property name in double quotes');
        }
        pos = scanString(text, pos);
        while (pos < text.length && isWhitespace(text.charCodeAt(pos))) pos += 1;
        if (text.charCodeAt(pos) !== 0x3a) throw unexpected(text, pos, "':' after the property name");
        pos += 1;
        mode = 'value';
        break;
      }
      case 'after-value': {
        const closer = stack[stack.length - 1];
        if (closer === undefined) {
          if (pos >= text.length) return;
          throw unexpected(text, pos, 'the end of input after the JSON value (one JSON value per file; JSON Lines files put one per line)');
        }
        const inObject = closer === 0x7d;
        if (code === 0x2c) {
          pos += 1;
          mode = inObject ? 'key' : 'value';
          if (!inObject) {
            // A trailing comma before ']' deserves its own words.
            let p = pos;
            while (p < text.length && isWhitespace(text.charCodeAt(p))) p += 1;
            if (text.charCodeAt(p) === 0x5d) throw unexpected(text, p, "a value after ',' (trailing commas are not allowed)");
          }
        } else if (code === closer) {
          stack.pop();
          pos += 1;
        } else {
          throw unexpected(text, pos, inObject ? "',' or '}' after a property value" : "',' or ']' after an array element");
        }
        break;
      }
    }
  }
}

/** 1-based line and code-point column of a UTF-16 offset. */
export function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  let column = 1;
  for (let i = lineStart; i < offset; i++) {
    const code = text.charCodeAt(i);
    // The low half of a surrogate pair is the same code point as its high half.
    if (!(code >= 0xdc00 && code <= 0xdfff && i > lineStart && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff)) column += 1;
  }
  return { line, column };
}

function lineColumnText(text: string, offset: number): string {
  const { line, column } = lineColumnOf(text, offset);
  return `line ${line} column ${column}`;
}

/**
 * The first syntax error in `text`, or null when it is valid JSON (with `options.onNonFinite`: JSON
 * that may hold the non-finite literals). An error at the end of input is placed just after the last
 * non-white-space character, where the reader will look for it.
 */
export function findJsonSyntaxError(text: string, options: ScanOptions = {}): JsonSyntaxError | null {
  try {
    scan(text, options);
    return null;
  } catch (error) {
    if (!(error instanceof SyntaxFault)) throw error;
    let offset = error.offset;
    if (offset >= text.length) {
      offset = text.length;
      while (offset > 0 && isWhitespace(text.charCodeAt(offset - 1))) offset -= 1;
    }
    return { offset, ...lineColumnOf(text, offset), message: error.message };
  }
}
