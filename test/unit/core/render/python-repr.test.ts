import { describe, expect, it } from 'vitest';
import {
  isPythonWhitespace,
  pythonFloatRepr,
  pythonNumberRepr,
  pythonRepr,
  pythonStringRepr,
  pythonStrip,
} from '../../../../src/core/render';

// Every expected value below is what CPython writes for the same value (`repr(x)` / `x.strip()`).

describe('pythonStringRepr', () => {
  it.each([
    ['', "''"],
    ['abc', "'abc'"],
    ["it's", `"it's"`],
    ['say "hi"', `'say "hi"'`],
    [`both ' and "`, `'both \\' and "'`],
    ["it's a \\", `"it's a \\\\"`],
    ['back\\slash', "'back\\\\slash'"],
    ['tab\tnew\nline\rcr', "'tab\\tnew\\nline\\rcr'"],
    ['\x00\x01\x1b\x1f\x7f', "'\\x00\\x01\\x1b\\x1f\\x7f'"],
    ['\x0b\x0c', "'\\x0b\\x0c'"],
    [' ', "' '"],
  ])('ASCII: %j → %s', (text, expected) => {
    expect(pythonStringRepr(text)).toBe(expected);
  });

  it.each([
    ['café ü', "'café ü'"],
    ['日本語', "'日本語'"],
    ['emoji 😀', "'emoji 😀'"],
    ['mother’s', "'mother’s'"],
    ['\u0085', "'\\x85'"], // next line: Cc
    ['\u00a0', "'\\xa0'"], // no-break space: Zs
    ['\u00ad', "'\\xad'"], // soft hyphen: Cf
    ['\u200b', "'\\u200b'"], // zero width space: Cf
    ['\u2028', "'\\u2028'"], // line separator: Zl
    ['\u3000', "'\\u3000'"], // ideographic space: Zs
    ['\ufeff', "'\\ufeff'"], // byte order mark: Cf
    ['\ue000', "'\\ue000'"], // private use: Co
    ['\ud800', "'\\ud800'"], // lone surrogate: Cs
    ['a\udc00b', "'a\\udc00b'"],
    ['\u{e0001}', "'\\U000e0001'"], // language tag: Cf, beyond the BMP
    ['\u{10ffff}', "'\\U0010ffff'"], // noncharacter: Cn
  ])('non-ASCII: %j → %s', (text, expected) => {
    expect(pythonStringRepr(text)).toBe(expected);
  });
});

describe('pythonFloatRepr', () => {
  it.each([
    [0.1, '0.1'],
    [1, '1.0'],
    [1.5, '1.5'],
    [-2.75, '-2.75'],
    [100, '100.0'],
    [123.456, '123.456'],
    [12345678.9, '12345678.9'],
    [1 / 3, '0.3333333333333333'],
    [2 / 3, '0.6666666666666666'],
    [0.1 + 0.2, '0.30000000000000004'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1e-7, '1e-07'],
    [1.5e-7, '1.5e-07'],
    [-2.5e-10, '-2.5e-10'],
    [1e15, '1000000000000000.0'],
    [9999999999999998, '9999999999999998.0'],
    [1e16, '1e+16'],
    [1.2345e20, '1.2345e+20'],
    [1e22, '1e+22'],
    [1e100, '1e+100'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [0, '0.0'],
    [-0, '-0.0'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'nan'],
  ])('%s → %s', (value, expected) => {
    expect(pythonFloatRepr(value)).toBe(expected);
  });
});

describe('pythonNumberRepr (a JSON number as json.loads most likely read it)', () => {
  it.each([
    [3, '3'],
    [-42, '-42'],
    [0, '0'],
    [2.5, '2.5'],
    [1e-7, '1e-07'],
    // -0 only comes from a float literal in JSON written by Python.
    [-0, '-0.0'],
    // Integral values are ints: JSON `3.0` and `1e+16` arrive as 3 and 1e16 and cannot be told apart.
    [1e16, '10000000000000000'],
    [1e21, '1000000000000000000000'],
    // 2^53 and beyond: the digits JavaScript kept (Python's int would be 123456789012345678).
    [123456789012345678, '123456789012345680'],
  ])('%s → %s', (value, expected) => {
    expect(pythonNumberRepr(value)).toBe(expected);
  });
});

describe('pythonRepr', () => {
  it('writes a dict of every JSON type as Python does', () => {
    const args = { key: 'value', n: 1, ok: true, x: null, f: 1.5, l: [1, 'a'], nested: { a: {} } };
    expect(pythonRepr(args)).toBe("{'key': 'value', 'n': 1, 'ok': True, 'x': None, 'f': 1.5, 'l': [1, 'a'], 'nested': {'a': {}}}");
  });

  it.each([
    [null, 'None'],
    [undefined, 'None'],
    [true, 'True'],
    [false, 'False'],
    [[], '[]'],
    [{}, '{}'],
    [[[]], '[[]]'],
    [[1, 2.5, -0, 'x', null], "[1, 2.5, -0.0, 'x', None]"],
    [{ "it's": 'fine', q: 'say "hi"' }, `{"it's": 'fine', 'q': 'say "hi"'}`],
    [{ text: 'line1\nline2\t\\' }, "{'text': 'line1\\nline2\\t\\\\'}"],
    [{ city: 'Zürich', note: 'mother’s' }, "{'city': 'Zürich', 'note': 'mother’s'}"],
    [{ deep: [{ a: [{ b: { c: [true, false] } }] }] }, "{'deep': [{'a': [{'b': {'c': [True, False]}}]}]}"],
  ])('%j → %s', (value, expected) => {
    expect(pythonRepr(value)).toBe(expected);
  });

  it('writes a bigint exactly, for callers that kept integers beyond 2^53', () => {
    expect(pythonRepr({ id: 123456789012345678n })).toBe("{'id': 123456789012345678}");
  });

  it('keeps key order, except that JavaScript objects list integer-like keys first', () => {
    expect(pythonRepr({ zeta: 1, alpha: 2, mid: 3 })).toBe("{'zeta': 1, 'alpha': 2, 'mid': 3}");
    // Python would keep the file's order {'b': 1, '2': 2, 'a': 3}; JSON.parse already reordered it.
    expect(pythonRepr(JSON.parse('{"b": 1, "2": 2, "a": 3}'))).toBe("{'2': 2, 'b': 1, 'a': 3}");
  });

  it('writes a container that holds itself as Python does', () => {
    const list: unknown[] = [1];
    list.push(list);
    expect(pythonRepr(list)).toBe('[1, [...]]');
    const dict: Record<string, unknown> = { a: 1 };
    dict.self = dict;
    expect(pythonRepr(dict)).toBe("{'a': 1, 'self': {...}}");
    // The same object twice, side by side, is not a cycle.
    const shared = { x: 1 };
    expect(pythonRepr([shared, shared])).toBe("[{'x': 1}, {'x': 1}]");
  });

  it('refuses values JSON cannot hold', () => {
    expect(() => pythonRepr({ f: () => 1 })).toThrow(new TypeError('pythonRepr: a function has no Python counterpart in JSON data'));
    expect(() => pythonRepr([Symbol('s')])).toThrow(TypeError);
  });
});

describe('pythonStrip', () => {
  it.each([
    ['', ''],
    ['   ', ''],
    ['  x  ', 'x'],
    ['\n\t x y \r\n', 'x y'],
    ['\x0b\x0cx\x0b\x0c', 'x'],
    ['\x1c\x1d\x1e\x1fx\x85', 'x'], // file/group/record/unit separators and NEL are Python whitespace
    ['\u00a0\u1680\u2000x\u200a\u2028\u2029\u202f\u205f\u3000', 'x'],
    ['\ufeffx\ufeff', '\ufeffx\ufeff'], // BOM is not (String.prototype.trim would remove it)
    ['\u200bx\u200b', '\u200bx\u200b'], // zero width space is not
    ['a \n b', 'a \n b'],
  ])('%j → %j', (text, expected) => {
    expect(pythonStrip(text)).toBe(expected);
  });

  it('agrees with isPythonWhitespace', () => {
    expect(isPythonWhitespace(0x1c)).toBe(true);
    expect(isPythonWhitespace(0x85)).toBe(true);
    expect(isPythonWhitespace(0x180e)).toBe(false);
    expect(isPythonWhitespace(0xfeff)).toBe(false);
    expect(isPythonWhitespace('x'.charCodeAt(0))).toBe(false);
  });
});
