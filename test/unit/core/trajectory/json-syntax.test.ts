/** Our own JSON syntax-error locator: positions, wording, and agreement with JSON.parse on validity. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError, lineColumnOf } from '../../../../src/core/trajectory/json-syntax';

const VALUE = 'a value (object, array, string, number, true, false or null)';

describe('findJsonSyntaxError', () => {
  it.each([
    ['{"a":}', 1, 6, `unexpected character '}': expected ${VALUE}`],
    ['{"a":1', 1, 7, "unexpected end of input: expected ',' or '}' after a property value"],
    ['[1,]', 1, 4, "unexpected character ']': expected a value after ',' (trailing commas are not allowed)"],
    ['{"a":1,}', 1, 8, "unexpected character '}': expected a property name in double quotes after ',' (trailing commas are not allowed)"],
    ['{"a" 1}', 1, 6, "unexpected character '1': expected ':' after the property name"],
    ['{a:1}', 1, 2, "unexpected character 'a': expected a property name in double quotes or '}'"],
    ["['x']", 1, 2, `unexpected character ''': expected ${VALUE}; strings take double quotes`],
    ['tru', 1, 4, "unexpected end of input: expected 'true'"],
    ['nul!', 1, 4, "unexpected character '!': expected 'null'"],
    ['{"a":1}x', 1, 8, "unexpected character 'x': expected the end of input after the JSON value (one JSON value per file; JSON Lines files put one per line)"],
    ['01', 1, 2, "unexpected character '1': expected the end of input after the JSON value (one JSON value per file; JSON Lines files put one per line)"],
    ['-', 1, 2, 'unexpected end of input: expected a digit'],
    ['1.', 1, 3, "unexpected end of input: expected a digit after '.'"],
    ['1e+', 1, 4, 'unexpected end of input: expected a digit in the exponent'],
    ['"\\x"', 1, 3, "invalid escape '\\x' inside a string: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX"],
    ['"\\u12G4"', 1, 6, "unexpected character 'G': expected four hex digits after \\u"],
    ['"a\tb"', 1, 3, 'unexpected character U+0009 inside a string: expected an escape such as \\n or \\t (raw control characters are not allowed)'],
    ['[1 2]', 1, 4, "unexpected character '2': expected ',' or ']' after an array element"],
    ['\n\n  {"a": [1, 2\n\n', 3, 14, "unexpected end of input: expected ',' or ']' after an array element"],
    ['', 1, 1, `unexpected end of input: expected ${VALUE}`],
  ])('%j → %i:%i %s', (text, line, column, message) => {
    expect(findJsonSyntaxError(text)).toEqual({ offset: expect.any(Number), line, column, message });
  });

  it('names the start of an unterminated string', () => {
    const error = findJsonSyntaxError('{\n  "a": "never closed');
    expect(error?.message).toBe('unexpected end of input: expected \'"\' to close the string that starts at line 2 column 8');
    expect([error?.line, error?.column]).toEqual([2, 21]);
  });

  it('accepts valid JSON of every kind', () => {
    for (const text of ['0', '-0.5e-7', '"\\u00e9\\n"', 'true', 'null', '[]', '{}', ' [ {"a": [1, {"b": null}]}, "x" ] ', '{"":""}', '"😀"']) {
      expect(findJsonSyntaxError(text)).toBeNull();
    }
  });

  it('survives nesting far deeper than the call stack', () => {
    const depth = 200_000;
    expect(findJsonSyntaxError('['.repeat(depth) + ']'.repeat(depth))).toBeNull();
    const error = findJsonSyntaxError('['.repeat(depth));
    expect(error).toMatchObject({ line: 1, column: depth + 1 });
  });

  it('counts columns in code points, lines at \\n', () => {
    expect(lineColumnOf('😀😀x', 4)).toEqual({ line: 1, column: 3 });
    expect(lineColumnOf('ab\r\ncd', 5)).toEqual({ line: 2, column: 2 });
    expect(findJsonSyntaxError('["😀", x]')).toMatchObject({ line: 1, column: 7 });
  });
});

/** Deterministic pseudo-random numbers (mulberry32) so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('agreement with JSON.parse', () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const goodDir = path.resolve(here, '../../../corpus/good');
  const seeds = readdirSync(goodDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readFileSync(path.join(goodDir, f), 'utf8'));
  const alphabet = ['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '\n', '0', '-', '.', 'e', 't', 'n', 'u', 'x', '\t', "'", '\u0001'];

  it('finds an error exactly when JSON.parse throws, on thousands of mutated documents', () => {
    const next = random(20260914);
    let invalid = 0;
    for (let trial = 0; trial < 4000; trial++) {
      let text = seeds[trial % seeds.length];
      const edits = 1 + Math.floor(next() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * text.length);
        const kind = next();
        const ch = alphabet[Math.floor(next() * alphabet.length)];
        if (kind < 0.4) text = text.slice(0, at) + text.slice(at + 1);
        else if (kind < 0.7) text = text.slice(0, at) + ch + text.slice(at);
        else if (kind < 0.9) text = text.slice(0, at) + ch + text.slice(at + 1);
        else text = text.slice(0, at);
      }
      let engineAccepts = true;
      try {
        JSON.parse(text);
      } catch {
        engineAccepts = false;
      }
      const ours = findJsonSyntaxError(text);
      if (engineAccepts !== (ours === null)) throw new Error(`disagreement on ${JSON.stringify(text)}: ours ${JSON.stringify(ours)}`);
      if (ours) {
        invalid += 1;
        expect(ours.offset).toBeLessThanOrEqual(text.length);
        expect(ours.line).toBeGreaterThanOrEqual(1);
      }
    }
    expect(invalid).toBeGreaterThan(2000);
  });

  it('places errors where V8 does when V8 gives a position', () => {
    const next = random(7);
    let compared = 0;
    for (let trial = 0; trial < 2000; trial++) {
      let text = seeds[trial % seeds.length];
      const at = Math.floor(next() * text.length);
      text = text.slice(0, at) + alphabet[Math.floor(next() * 8)] + text.slice(at);
      try {
        JSON.parse(text);
        continue;
      } catch (error) {
        const match = /at position (\d+)/.exec((error as Error).message);
        // Only V8's "… at position N" forms are comparable. By design we differ at the end of input
        // (ours sits after the last non-white-space character) and for unterminated strings.
        if (!match || /Unterminated string/.test((error as Error).message)) continue;
        const ours = findJsonSyntaxError(text);
        if (ours?.message.startsWith('unexpected end of input')) continue;
        expect(ours?.offset).toBe(Number(match[1]));
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });
});

describe('findJsonSyntaxError with the non-finite literals (onNonFinite)', () => {
  it('accepts NaN, Infinity and -Infinity where a value may stand and reports each one’s offset', () => {
    const found: [number, string][] = [];
    const numbers: string[] = [];
    const text = '{"a": NaN, "b": [Infinity, -Infinity, -2.5e-3], "NaN": "Infinity"}';
    expect(findJsonSyntaxError(text, { onNonFinite: (offset, literal) => found.push([offset, literal]), onNumber: (start, end) => numbers.push(text.slice(start, end)) })).toBeNull();
    expect(found).toEqual([
      [6, 'NaN'],
      [17, 'Infinity'],
      [27, '-Infinity'],
    ]);
    expect(found.every(([offset, literal]) => text.startsWith(literal, offset))).toBe(true);
    expect(numbers).toEqual(['-2.5e-3']);
  });

  it('is strict without the option, and exact about what else is wrong with it', () => {
    expect(findJsonSyntaxError('[NaN]')).toEqual({ offset: 1, line: 1, column: 2, message: `unexpected character 'N': expected ${VALUE}` });
    const tolerant = { onNonFinite: () => undefined };
    expect(findJsonSyntaxError('[NaN, 1,]', tolerant)?.message).toBe("unexpected character ']': expected a value after ',' (trailing commas are not allowed)");
    expect(findJsonSyntaxError('{NaN: 1}', tolerant)?.message).toBe("unexpected character 'N': expected a property name in double quotes or '}'");
    expect(findJsonSyntaxError('[-Infinity1]', tolerant)?.message).toBe("unexpected character '1': expected ',' or ']' after an array element");
    expect(findJsonSyntaxError('[-]', tolerant)?.message).toBe("unexpected character ']': expected a digit");
  });
});
